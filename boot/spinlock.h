// spinlock.h: a test-and-test-and-set lock. Interrupts are off whenever kernel code runs (they are
// enabled only inside park's hlt), so a holder is never interrupted and no irq-save variant is needed.
#pragma once
#include <stdint.h>

typedef struct { volatile uint32_t locked; } spinlock_t;

static inline void spin_lock(spinlock_t *l) {
  while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) __asm__ volatile("pause");
}
static inline int spin_trylock(spinlock_t *l) { return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE); }
static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }
