#ifndef SYS_ABI_H
#define SYS_ABI_H
#define ABI_VERSION 3
typedef uint16_t abi_port_t;
struct abi_addr { uint8_t ip[4]; abi_port_t port; };
#endif
