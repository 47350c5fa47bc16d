/* frame_bin.c — placeholder until implemented. */
#include "frame_bin.h"
