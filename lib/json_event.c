/* json_event.c — placeholder until implemented. */
#include "json_event.h"
