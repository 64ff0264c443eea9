/* signal.pml: Promela model of a counting signal (runtime/sched/signal.ts steps 1-4: the
 * lock-free signal and wait fast paths, the FIFO of waiting tasks under LOCK), checked with spin
 * by tests/model/signal.test.mjs.
 *
 * Owns: W waiters taking one unit each and W signallers giving one unit each, at the atomicity
 * of the runtime (each labelled step is ONE atomic shared-memory operation, sequentially
 * consistent; what a core does under LOCK to the FIFO's own fields is one step, since only LOCK's
 * holder touches them, but its reads of COUNT and its store of HEAD are steps of their own, as
 * signallers read HEAD and change COUNT without the lock). Not: Mutex and WaitGroup (a signal of
 * one unit; a done word), the scheduler that runs a readied task (here: ready[w] = 1).
 *
 *   Waiter w:
 *     1a   c = COUNT (load); c > 0: 1b, else 2
 *     1b   cas COUNT c -> c - 1; won: done; lost: 1a
 *     2a   lock
 *     2b   append w to the FIFO (HEAD store if it was empty)
 *          -DNO_REGISTER_HANDOUT: unlock here, no step 4 (the broken variant: must be rejected)
 *     4    hand out (below), unlock; then wait until ready[w]
 *   Signaller:
 *     3a   COUNT += 1 (atomic add)
 *     3b   h = HEAD (load); h == 0: done
 *          -DLOAD_FIRST: 3b before 3a (the broken variant: must be rejected)
 *     3c   lock; hand out (below); unlock
 *   Hand out (under LOCK):
 *     4a   h = HEAD (load); none: stop
 *     4b   c = COUNT (load); c <= 0: stop
 *     4c   cas COUNT c -> c - 1; lost: 4a
 *     4d   pop the oldest waiter (HEAD store), it becomes ready (the runtime makes it ready
 *          after the unlock; the order does not matter to the properties)
 *
 * Properties
 *   (a) no lost wake-up: at the end (every signaller done) no waiter is left in the FIFO while a
 *       unit is free; as there are as many units as waiters, every waiter got one (Check, and
 *       pan -q: a waiter stuck waiting is an invalid end state, its wait having no end label);
 *   (b) no unit taken twice or made up: COUNT never goes below 0, and at the end it is 0 with
 *       every waiter served exactly once (assert in 4d: never readied twice).
 */

#define W 2

short count;          /* COUNT */
byte lk;              /* LOCK: 0 free, else holder + 1 */
byte fifo[W];         /* the FIFO's waiters (w + 1), oldest first; head = fifo[0] */
byte flen;            /* its length (under LOCK) */
bit ready[W];         /* waiter w was given a unit through the FIFO */
bit fast[W];          /* waiter w took a unit on the fast path */
byte sigDone;
byte waitDone;

inline lock(me) { atomic { lk == 0 -> lk = me + 1 } }
inline unlock() { lk = 0 }

/* Step 4, under LOCK; releases it. */
inline handOut(me)
{
  do
  :: atomic { flen == 0 -> break }                      /* 4a: HEAD == 0 */
  :: else ->
     if
     :: atomic { count <= 0 -> break }                  /* 4b */
     :: else ->
        if
        :: atomic { count > 0 -> count--; assert(count >= 0) }   /* 4c: cas won */
           atomic {                                     /* 4d: pop the oldest */
             w2 = fifo[0] - 1;
             assert(!ready[w2]);
             ready[w2] = 1;
             fifo[0] = fifo[1]; fifo[1] = 0; flen--
           }
        :: true                                         /* 4c: cas lost (a fast wait took it): 4a */
        fi
     fi
  od;
  unlock()
}

active [W] proctype Waiter()
{
  byte me = _pid, w2;
  short c;
  do
  :: c = count;                                         /* 1a */
     if
     :: c > 0 ->
        if
        :: atomic { count == c -> count = c - 1; fast[me] = 1 }; goto done   /* 1b: won */
        :: atomic { count != c }                         /* 1b: lost */
        fi
     :: else -> break
     fi
  od;
  lock(me);                                             /* 2a */
  atomic { fifo[flen] = me + 1; flen++ };               /* 2b */
#ifdef NO_REGISTER_HANDOUT
  unlock();
#else
  handOut(me);                                          /* 4 */
#endif
  ready[me] == 1;                                       /* wait (no end label) */
done:
  waitDone++
}

active [W] proctype Signaller()
{
  byte me = _pid, w2;
  bit any;
#ifndef LOAD_FIRST
  count++;                                              /* 3a */
  any = flen != 0;                                      /* 3b */
#else
  any = flen != 0;                                      /* 3b */
  count++;                                              /* 3a */
#endif
  if
  :: !any -> skip                                       /* nobody waits */
  :: else ->
     lock(me);                                          /* 3c */
     handOut(me)
  fi;
  sigDone++
}

active proctype Check()         /* (a) as a snapshot: signallers done, LOCK free */
{
  atomic { sigDone == W && lk == 0 -> assert(flen == 0 || count <= 0) }
}

active proctype Final()         /* no end label: a run where a waiter never gets its unit ends invalid */
{
  byte k;
  atomic {
    sigDone == W && waitDone == W ->
      assert(count == 0 && flen == 0);                  /* (b) */
      k = 0;
      do
      :: k < W -> assert(ready[k] + fast[k] == 1); k++
      :: else -> break
      od
  }
}
