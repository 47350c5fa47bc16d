/* attr.h — placeholder. */
#ifndef UNMO_ATTR_H
#define UNMO_ATTR_H
#endif
