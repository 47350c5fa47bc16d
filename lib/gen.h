/* gen.h — placeholder. */
#ifndef UNMO_GEN_H
#define UNMO_GEN_H
#endif
