// taprelay.c: the Node host's bridge to a TAP interface (Node cannot ioctl): opens /dev/net/tun
// as TAP `argv[1]` (IFF_TAP | IFF_NO_PI: whole Ethernet frames, no packet-information prefix)
// and relays frames both ways over stdin/stdout, each as a 4-byte big-endian length + the frame
// (QEMU's -netdev stream framing). Exits 0 when stdin closes (closing the TAP drops its carrier),
// 1 on any error, with one line on stderr. Built by tools/build/taprelay.ts into build/net/;
// run by tools/host/net.ts. Not: creating the TAP or setting it up (net.ts tapPrepare does).
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_FRAME 65535

static int die(const char *what) { fprintf(stderr, "taprelay: %s: %s\n", what, strerror(errno)); return 1; }

// All n bytes, or 0 at end of file / -1 on error before they came.
static int full(int fd, unsigned char *p, size_t n, int writing) {
  while (n) {
    ssize_t k = writing ? write(fd, p, n) : read(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return k == 0 ? 0 : -1;
    p += k, n -= (size_t)k;
  }
  return 1;
}

int main(int argc, char **argv) {
  static unsigned char buf[4 + MAX_FRAME];
  if (argc != 2 || strlen(argv[1]) >= IFNAMSIZ) { fprintf(stderr, "usage: taprelay TAPNAME\n"); return 2; }
  int tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (tap < 0) return die("/dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
  if (ioctl(tap, TUNSETIFF, &ifr) < 0) return die(argv[1]);
  struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = tap, .events = POLLIN } };
  for (;;) {
    if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; return die("poll"); }
    if (p[0].revents) {                      // stdin: one framed frame to the TAP
      int r = full(0, buf, 4, 0);
      if (r == 0) return 0;
      if (r < 0) return die("stdin");
      uint32_t n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
      if (n > MAX_FRAME) { fprintf(stderr, "taprelay: a frame of %u bytes on stdin\n", n); return 1; }
      if ((r = full(0, buf, n, 0)) <= 0) return r == 0 ? 0 : die("stdin");
      if (write(tap, buf, n) < 0 && errno != EIO && errno != EINVAL) return die("write to the TAP");
    }
    if (p[1].revents & POLLIN) {             // the TAP: one frame to stdout
      ssize_t n = read(tap, buf + 4, MAX_FRAME);
      if (n < 0) { if (errno == EINTR || errno == EAGAIN) continue; return die("read from the TAP"); }
      buf[0] = (unsigned char)(n >> 24), buf[1] = (unsigned char)(n >> 16), buf[2] = (unsigned char)(n >> 8), buf[3] = (unsigned char)n;
      if (full(1, buf, 4 + (size_t)n, 1) <= 0) return 0;   // stdout closed: the host went away
    }
  }
}
