/* baselines.c: the paper's Table 2 operations (and a cross-core spin round trip) on this Linux,
 * compiled by `aam bench` with the system cc at run time (tools/bench/native.ts).
 * Owns: measuring one operation per run and printing one sample per line in ns. Not: statistics
 * (the harness summarises), deciding what to compare with.
 *
 * Usage: baselines <thread_switch|process_switch|gettid|pthread_create|c_spin_rt> <n> <warm-up>
 * Pinned to CPU 0 (c_spin_rt: CPUs 0 and 1), SCHED_FIFO when permitted (root), else as is.
 * A sample is one operation; switch samples are a ping-pong round trip / 2 (two switches).
 * gettid samples are 100 calls / 100 so the clock read (~20 ns vDSO) does not dominate. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long n, warm;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &s);
  sched_setaffinity(0, sizeof s, &s);
  struct sched_param p = { .sched_priority = 1 };
  sched_setscheduler(0, SCHED_FIFO, &p);           /* best effort: needs root */
}

static void futex_wait(atomic_int *w, int v) { syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, 0, 0, 0); }
static void futex_wake(atomic_int *w) { syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0); }

/* thread_switch: two threads on one CPU hand a token back and forth through a futex word. */
static atomic_int turn;
static void *pong(void *arg) {
  (void)arg;
  pin(0);
  for (long i = 0; i < n + warm; i++) {
    while (atomic_load(&turn) != 1) futex_wait(&turn, 0);
    atomic_store(&turn, 0);
    futex_wake(&turn);
  }
  return 0;
}
static void thread_switch(void) {
  pthread_t t;
  pin(0);
  pthread_create(&t, 0, pong, 0);
  for (long i = 0; i < n + warm; i++) {
    double t0 = now();
    atomic_store(&turn, 1);
    futex_wake(&turn);
    while (atomic_load(&turn) != 0) futex_wait(&turn, 1);
    double dt = now() - t0;
    if (i >= warm) printf("%.1f\n", dt / 2);
  }
  pthread_join(t, 0);
}

/* process_switch: parent and child on one CPU, one byte back and forth over two pipes. */
static void process_switch(void) {
  int a[2], b[2];
  char c = 0;
  if (pipe(a) || pipe(b)) { perror("pipe"); exit(1); }
  pin(0);
  pid_t p = fork();
  if (p == 0) {
    for (long i = 0; i < n + warm; i++) { if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1) _exit(1); }
    _exit(0);
  }
  for (long i = 0; i < n + warm; i++) {
    double t0 = now();
    if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) { perror("pipe"); exit(1); }
    double dt = now() - t0;
    if (i >= warm) printf("%.1f\n", dt / 2);
  }
  waitpid(p, 0, 0);
}

static void gettid_(void) {
  pin(0);
  for (long i = 0; i < n + warm; i++) {
    double t0 = now();
    for (int k = 0; k < 100; k++) syscall(SYS_gettid);
    double dt = now() - t0;
    if (i >= warm) printf("%.1f\n", dt / 100);
  }
}

static void *nothing(void *arg) { return arg; }
static void pthread_create_(void) {
  pin(0);
  for (long i = 0; i < n + warm; i++) {
    pthread_t t;
    double t0 = now();
    pthread_create(&t, 0, nothing, 0);
    double dt = now() - t0;
    pthread_join(t, 0);
    if (i >= warm) printf("%.1f\n", dt);
  }
}

/* c_spin_rt: a thread on CPU 1 spins on a word, answers; the caller on CPU 0 spins for the answer. */
static _Alignas(64) atomic_long ping;
static _Alignas(64) atomic_long pongw;
static void *spinner(void *arg) {
  (void)arg;
  pin(1);
  for (long i = 1; i <= n + warm; i++) {
    while (atomic_load_explicit(&ping, memory_order_acquire) != i) {}
    atomic_store_explicit(&pongw, i, memory_order_release);
  }
  return 0;
}
static void c_spin_rt(void) {
  pthread_t t;
  pthread_create(&t, 0, spinner, 0);   /* before pinning: a FIFO spinner on CPU 0 would starve it */
  pin(0);
  for (long i = 1; i <= n + warm; i++) {
    double t0 = now();
    atomic_store_explicit(&ping, i, memory_order_release);
    while (atomic_load_explicit(&pongw, memory_order_acquire) != i) {}
    double dt = now() - t0;
    if (i > warm) printf("%.1f\n", dt);
  }
  pthread_join(t, 0);
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: baselines <op> <n> <warm-up>\n"); return 2; }
  n = atol(argv[2]);
  warm = atol(argv[3]);
  const char *op = argv[1];
  if (!strcmp(op, "thread_switch")) thread_switch();
  else if (!strcmp(op, "process_switch")) process_switch();
  else if (!strcmp(op, "gettid")) gettid_();
  else if (!strcmp(op, "pthread_create")) pthread_create_();
  else if (!strcmp(op, "c_spin_rt")) c_spin_rt();
  else { fprintf(stderr, "unknown op %s\n", op); return 2; }
  return 0;
}
