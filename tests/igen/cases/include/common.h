#include <sys/abi.h>
#include "sys/abi.h"
#define NET_MTU 1500
#if defined(ABI_VERSION) && ABI_VERSION >= 3 && !defined(__cplusplus)
typedef struct abi_addr net_addr_t;
#endif
#ifndef __IGEN__
/* For C compilers only: igen refuses __attribute__, and never reads this. */
struct net_wire_header { uint8_t kind; uint32_t len; } __attribute__((packed));
#endif
