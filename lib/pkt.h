/* pkt.h — placeholder. */
#ifndef UNMO_PKT_H
#define UNMO_PKT_H
#endif
