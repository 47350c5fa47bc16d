/* fsdir.h — output directories for the tools.
 *
 * unmo_mkdir_p creates path and any missing parents (mode for each one
 * created, as mkdir -p); an existing directory is fine. Returns 0, or -1
 * with errno set (ENOTDIR when a component is a file). Thread-safe; path
 * is at most PATH_MAX bytes (ENAMETOOLONG otherwise).
 */
#ifndef UNMO_FSDIR_H
#define UNMO_FSDIR_H

#include <sys/types.h>

int unmo_mkdir_p(const char *path, mode_t mode);

#endif
