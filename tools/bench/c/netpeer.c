/* netpeer.c: the Linux side of `aam bench net` (and of tests/net): the same server logic as the
 * guest's examples on Linux's stack, and the load generators that drive either. Compiled with the
 * system cc at run time into build/net/netpeer (tools/bench/net.ts, tests/net).
 * Owns: one process per role, single-threaded epoll, one JSON line of results.
 * Not: statistics across rounds (net.ts), namespaces (tests/lib/netns.mjs).
 *
 * Usage:
 *   netpeer echo PORT            TCP echo (many connections; FIN after echoing everything once the
 *                                peer's FIN came) and UDP echo on PORT (examples/echo.ts's logic)
 *   netpeer http PORT            HTTP/1.1 keep-alive, GET → a fixed page with Content-Length
 *                                (examples/httpd.ts's logic without the disk)
 *   netpeer stream IP PORT BYTES one connection: send BYTES of a pattern while reading the echo;
 *                                checks every echoed byte (byte i is i mod 251); prints {"bytes",
 *                                "received","ns","errors": pieces that differed}
 *   netpeer load IP PORT CONNS N CONNS keep-alive connections, N GET / in all (one outstanding per
 *                                connection); prints {"requests","ns","p50_ns","p99_ns",
 *                                "mean_ns","sd_ns","errors"}
 * A server prints "listening PORT" once it listens and runs until killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what) { fprintf(stderr, "netpeer: %s: %s\n", what, strerror(errno)); exit(1); }
static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static const char PAGE[] = "<!doctype html><html><head><title>linux httpd</title></head>"
                           "<body><h1>linux httpd</h1><p>the Linux baseline of aam bench net</p></body></html>\n";

/* ---- servers -------------------------------------------------------------------------------- */

enum { BUF = 1 << 16 };
struct conn { int fd; int eof; size_t inlen, outoff, outlen; char in[BUF], out[BUF]; };

static int listen_on(int port, int type) {
  int s = socket(AF_INET, type, 0), one = 1;
  if (s < 0) die("socket");
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (type == SOCK_STREAM && listen(s, 1024) < 0) die("listen");
  nonblock(s);
  return s;
}

/* Move the connection's pending output; produce more from input (echo: the bytes; http: one
 * response per complete request). Returns 0 to close. */
static int serve(struct conn *c, int http) {
  for (;;) {
    while (c->outoff < c->outlen) {
      ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
      if (w < 0) return errno == EAGAIN ? 1 : 0;
      c->outoff += w;
    }
    c->outoff = c->outlen = 0;
    if (!http && c->inlen) { memcpy(c->out, c->in, c->inlen); c->outlen = c->inlen; c->inlen = 0; continue; }
    if (http) {
      char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
      if (end) {
        size_t used = end + 4 - c->in;
        c->outlen = snprintf(c->out, BUF, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n\r\n%s", sizeof PAGE - 1, PAGE);
        memmove(c->in, c->in + used, c->inlen - used);
        c->inlen -= used;
        continue;
      }
    }
    if (c->eof) return 0;
    if (c->inlen == BUF) return 0;                    /* a request larger than the buffer */
    ssize_t r = recv(c->fd, c->in + c->inlen, BUF - c->inlen, 0);
    if (r < 0) return errno == EAGAIN ? 1 : 0;
    if (r == 0) { c->eof = 1; if (!c->inlen) return 0; continue; }
    c->inlen += r;
  }
}

static _Noreturn void server(int port, int http) {
  int ls = listen_on(port, SOCK_STREAM), us = http ? -1 : listen_on(port, SOCK_DGRAM);
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  static struct conn udpmark;
  if (us >= 0) { ev.data.ptr = &udpmark; epoll_ctl(ep, EPOLL_CTL_ADD, us, &ev); }
  printf("listening %d\n", port);
  fflush(stdout);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (c == NULL) {
        int fd;
        while ((fd = accept(ls, NULL, NULL)) >= 0) {
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          nonblock(fd);
          struct conn *k = calloc(1, sizeof *k);
          k->fd = fd;
          struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = k };
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
      } else if (c == &udpmark) {
        char b[BUF];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t r;
        while ((r = recvfrom(us, b, sizeof b, 0, (struct sockaddr *)&from, &fl)) >= 0) sendto(us, b, r, 0, (struct sockaddr *)&from, fl);
      } else if (!serve(c, http)) {
        close(c->fd);
        free(c);
      }
    }
  }
}

/* ---- clients -------------------------------------------------------------------------------- */

static int dial(const char *ip, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, ip, &a.sin_addr);
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

/* The pattern: byte i is i mod 251 (a prime: a shifted or repeated 64 KiB piece does not match). */
static unsigned char PAT[BUF + 251];

static int stream(const char *ip, int port, uint64_t bytes) {
  int s = dial(ip, port);
  nonblock(s);
  static unsigned char ib[BUF];
  for (size_t i = 0; i < sizeof PAT; i++) PAT[i] = i % 251;
  uint64_t sent = 0, got = 0, errors = 0;
  int shut = bytes == 0;
  if (shut) shutdown(s, SHUT_WR);
  double t0 = now();
  while (got < bytes) {
    struct pollfd pf = { .fd = s, .events = POLLIN | (sent < bytes ? POLLOUT : 0) };
    if (poll(&pf, 1, 60000) <= 0) { errors++; break; }   /* a minute without progress: give up */
    if (pf.revents & POLLOUT) {
      size_t n = bytes - sent < BUF ? bytes - sent : BUF;
      ssize_t w = send(s, PAT + sent % 251, n, MSG_NOSIGNAL);
      if (w > 0) sent += w;
      else if (w < 0 && errno != EAGAIN) die("send");
      if (sent == bytes && !shut) { shutdown(s, SHUT_WR); shut = 1; }
    }
    if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = recv(s, ib, BUF, 0);
      if (r > 0) { errors += memcmp(ib, PAT + got % 251, r) != 0; got += r; }
      else if (r == 0) break;
      else if (errno != EAGAIN) die("recv");
    }
  }
  double ns = now() - t0;
  close(s);
  printf("{\"bytes\":%llu,\"received\":%llu,\"ns\":%.0f,\"errors\":%llu}\n", (unsigned long long)bytes, (unsigned long long)got, ns, (unsigned long long)errors);
  return got == bytes && !errors ? 0 : 1;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

struct lc { int fd; double t; size_t have; char b[4096]; };

static int load(const char *ip, int port, int conns, long total) {
  static const char REQ[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
  double *lat = calloc(total + conns, sizeof *lat);
  struct lc *cs = calloc(conns, sizeof *cs);
  int ep = epoll_create1(0);
  long issued = 0, done = 0, errors = 0;
  double t0 = now();
  for (int i = 0; i < conns; i++) {
    cs[i].fd = dial(ip, port);
    nonblock(cs[i].fd);
    struct epoll_event e = { .events = EPOLLIN, .data.ptr = &cs[i] };
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &e);
    if (issued < total) { cs[i].t = now(); send(cs[i].fd, REQ, sizeof REQ - 1, MSG_NOSIGNAL); issued++; }
  }
  struct epoll_event evs[256];
  while (done < total) {
    int n = epoll_wait(ep, evs, 256, 60000);
    if (n <= 0) { errors++; break; }                 /* a minute without a response: give up */
    for (int i = 0; i < n; i++) {
      struct lc *c = evs[i].data.ptr;
      ssize_t r = recv(c->fd, c->b + c->have, sizeof c->b - c->have, 0);
      if (r <= 0) { if (r == 0 || errno != EAGAIN) { errors++; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); } continue; }
      c->have += r;
      for (;;) {                                      /* complete responses in the buffer */
        char *h = memmem(c->b, c->have, "\r\n\r\n", 4);
        if (!h) break;
        char *cl = memmem(c->b, h - c->b, "Content-Length:", 15);
        size_t len = cl ? strtoul(cl + 15, NULL, 10) : 0, whole = (h + 4 - c->b) + len;
        if (c->have < whole) break;
        if (memcmp(c->b, "HTTP/1.1 200", 12)) errors++;
        lat[done++] = now() - c->t;
        memmove(c->b, c->b + whole, c->have - whole);
        c->have -= whole;
        if (issued < total) { c->t = now(); send(c->fd, REQ, sizeof REQ - 1, MSG_NOSIGNAL); issued++; }
      }
      if (c->have == sizeof c->b) { errors++; c->have = 0; }
    }
  }
  double ns = now() - t0, mean = 0, sd = 0;
  for (long i = 0; i < done; i++) mean += lat[i];
  mean /= done ? done : 1;
  for (long i = 0; i < done; i++) sd += (lat[i] - mean) * (lat[i] - mean);
  sd = done > 1 ? sqrt(sd / (done - 1)) : 0;
  qsort(lat, done, sizeof *lat, cmp);
  printf("{\"requests\":%ld,\"ns\":%.0f,\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"mean_ns\":%.0f,\"sd_ns\":%.0f,\"errors\":%ld}\n",
         done, ns, done ? lat[done / 2] : 0, done ? lat[(long)(done * 0.99) < done ? (long)(done * 0.99) : done - 1] : 0, mean, sd, errors);
  for (int i = 0; i < conns; i++) close(cs[i].fd);
  return done == total && !errors ? 0 : 1;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && !strcmp(argv[1], "echo")) server(atoi(argv[2]), 0);
  if (argc == 3 && !strcmp(argv[1], "http")) server(atoi(argv[2]), 1);
  if (argc == 5 && !strcmp(argv[1], "stream")) return stream(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
  if (argc == 6 && !strcmp(argv[1], "load")) return load(argv[2], atoi(argv[3]), atoi(argv[4]), atol(argv[5]));
  fprintf(stderr, "usage: netpeer echo|http PORT | stream IP PORT BYTES | load IP PORT CONNS N\n");
  return 2;
}
