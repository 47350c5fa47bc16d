#include "gen.h"
int unmo_gen_placeholder_;
