/* segment.c — placeholder until implemented. */
#include "segment.h"
