/* http_lite.c — placeholder until implemented. */
#include "http_lite.h"
