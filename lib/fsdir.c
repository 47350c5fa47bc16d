/* fsdir.c — mkdir -p for the tools' output directories. */
#include "fsdir.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

static int mkdir_one(const char *p, mode_t mode)
{
	struct stat st;
	if (!mkdir(p, mode))
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(p, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int unmo_mkdir_p(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	size_t n = strlen(path);
	if (!n || n >= sizeof p) {
		errno = n ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	memcpy(p, path, n + 1);
	for (size_t i = 1; i < n; i++) { /* each parent, then the path itself */
		if (p[i] != '/' || p[i - 1] == '/')
			continue;
		p[i] = 0;
		int rc = mkdir_one(p, mode);
		p[i] = '/';
		if (rc)
			return -1;
	}
	return mkdir_one(p, mode);
}
