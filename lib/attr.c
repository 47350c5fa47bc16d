#include "attr.h"
int unmo_attr_placeholder_;
