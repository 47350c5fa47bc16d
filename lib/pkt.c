#include "pkt.h"
int unmo_pkt_placeholder_;
