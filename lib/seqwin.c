/* seqwin.c — placeholder until implemented. */
#include "seqwin.h"
