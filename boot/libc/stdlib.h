// stdlib.h: nothing of it is provided; present only because some generated code includes it.
#pragma once
#include <stddef.h>
