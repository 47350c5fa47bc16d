/* tenant.c — placeholder until implemented. */
#include "tenant.h"
