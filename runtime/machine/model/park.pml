/* park.pml: Promela model of spin-then-park (runtime/machine/core.ts idle, runtime/sched/spin.ts)
 * and of a caller's spin-then-suspend on a future (runtime/sched/future.ts waitWord, sched.ts
 * schedSpinFor), checked with spin by tests/model/park.test.mjs.
 *
 * Owns: the two protocols at their atomicity: each labelled step is ONE atomic shared-memory
 * operation, sequentially consistent. The spin window is a nondeterministic number of polls, so
 * every window length (0 included) is covered: what the measured window changes is only how long
 * a core polls, never which steps follow. Not: the window's arithmetic (tests/sched/spin.test.mjs),
 * the IMS hand-off (imc.pml), the queues' insides (a counter `work`).
 *
 * Part 1, an idle core and the sleep protocol of runtime/sched/sched.ts (a, b, c):
 *   Producer p (NP of them, M items each):
 *     b1  work++                      publish an item (a ring or inject push)
 *     b2  SLEEPERS > 0 ->             a sleeper exists:
 *     b3    cas STATE[c] SLEEPING -> WOKEN; on success SLEEPERS--, token[c] = 1 (platform.wake)
 *   Core c (NC of them):
 *     i1  SPINNER == c+1 (load: kept from the last idle period), else cas SPINNER 0 -> c+1:
 *                                     at most one core of the machine spins; the others skip i2
 *                                     (-DNO_SPINNER: every core spins, which (c) must reject;
 *                                     a core that took a SPINNER held by another as its own
 *                                     would be the same run)
 *     i2  poll work, any number of times (the window); the window ran out -> SPINNER = 0; work
 *         -> SPINNER = 0 only if the machine has more than one core (CORES, which the manager
 *         raises at any moment: process Grant), else the core keeps it for its next idle
 *         period (no locked instruction per call on a one-core machine); then i6
 *     a1  STATE[c] = SLEEPING; SLEEPERS++
 *     a2  re-check work (compiled out with -DNO_RECHECK: that variant must be rejected)
 *     a3  park: token[c] -> token[c] = 0
 *     c1  cas STATE[c] SLEEPING -> RUNNING; failed (WOKEN): a producer took it off SLEEPERS, set
 *         RUNNING; else SLEEPERS--
 *     i6  take an item if there is one (work--, taken++), loop
 * Part 2, the caller's spin-then-suspend on a future word (registerWaiter, completeWord):
 *   Caller:  w1 poll word == DONE any number of times (the window) -> done;
 *            w2 suspend: cas word 0 -> WAITER (fails if DONE: ready at once);
 *               -DNO_CAS replaces the cas by a load and a store (the broken variant);
 *            w3 wait to be made ready.
 *   Completer: x1 old = xchg word DONE; old == WAITER -> make the caller ready.
 *
 * Properties
 *   (a) no lost wake-up: in a quiescent state (producers done, every core parked, no token
 *       pending) no item is left (assert in Check), and pan -q end states;
 *   (b) every item taken once: taken == NP*M at quiescence;
 *   (c) at most one spinner: assert when a core starts polling in i2;
 *   (d) the caller always resumes: its end state is only valid after it saw DONE.
 */

#ifndef NC
#define NC 2
#endif
#ifndef NP
#define NP 1
#endif
#ifndef M
#define M 2
#endif
#define TOTAL (NP * M)

#define RUNNING 0
#define SLEEPING 1
#define WOKEN 2

byte work;                 /* items published, not yet taken */
byte taken;
byte sleepers;
byte state[NC];
bit  token[NC];
byte spinner;              /* core + 1 of the spinning core, 0 = none */
byte spinning;             /* cores inside i2 (property c) */
byte pdone;
byte parked;               /* cores inside a3 */
byte mcores = 1;           /* the machine's CORES: the manager grants more at any moment */

#define QUIET (pdone == NP && parked == NC && token[0] == 0 && (NC < 2 || token[1] == 0))

active [NP] proctype Producer()
{
  byte i, c;
  do
  :: i < M ->
b1:  atomic { work++; printf("producer %d: publish\n", _pid) };
b2:  if
     :: sleepers > 0 ->
        c = 0;
        do
        :: c < NC ->
b3:        atomic {
             if
             :: state[c] == SLEEPING -> state[c] = WOKEN; sleepers--; token[c] = 1; printf("producer %d: wake core %d\n", _pid, c); c = NC
             :: else -> c++
             fi
           }
        :: else -> break
        od;
        c = 0
     :: else
     fi;
     i++
  :: else -> break
  od;
  pdone++
}

proctype Core(byte me)
{
  bit spin;
loop:
#ifndef NO_SPINNER
i1: atomic { if :: spinner == me + 1 || spinner == 0 -> spinner = me + 1; spin = 1 :: else -> spin = 0 fi };
#else
i1: spin = 1;                                    /* every core spins: property (c) must fail */
#endif
  if
  :: spin ->
i2:  atomic { spinning++; assert(spinning <= 1) };     /* (c) */
     do
     :: work > 0 -> atomic { spinning--; if :: mcores > 1 -> spinner = 0 :: else fi }; goto take
     :: atomic { spinning--; spinner = 0 }; break      /* the window ran out */
     od
  :: else
  fi;
a1: atomic { state[me] = SLEEPING; sleepers++ };
#ifndef NO_RECHECK
a2: if
    :: work > 0 -> goto awake
    :: else
    fi;
#endif
  atomic { parked++; printf("core %d: park\n", me) };
end_a3:
  atomic { token[me] == 1 -> token[me] = 0; parked--; printf("core %d: woken\n", me) };
awake:
c1: atomic {
      if
      :: state[me] == SLEEPING -> state[me] = RUNNING; sleepers--
      :: else -> state[me] = RUNNING
      fi
    };
take:
i6: atomic {
      if
      :: work > 0 -> work--; taken++; printf("core %d: take\n", me)
      :: else
      fi
    };
  goto loop
}

#define DONE 1
#define WAITER 2
byte word;
bit  ready;
bit  resumed;

active proctype Grant()        /* the manager gives the machine its second core */
{
  mcores = NC
}

active proctype Caller()
{
w1: do
    :: word == DONE -> goto done
    :: break                                     /* the window ran out */
    od;
#ifndef NO_CAS
w2: atomic { if :: word == 0 -> word = WAITER :: else -> ready = 1 fi };
#else
    byte seen;
w2: seen = word;
    if
    :: seen == DONE -> ready = 1
    :: else -> word = WAITER
    fi;
#endif
w3: ready == 1;                                 /* not an end label: (d) */
done:
    resumed = 1
}

active proctype Completer()
{
x1: atomic {
      if
      :: word == WAITER -> ready = 1
      :: else
      fi;
      word = DONE
    }
}

init {
  byte c;
  atomic {
    for (c : 0 .. NC - 1) { run Core(c) }
  }
}

active proctype Check()
{
end_check:
  atomic {
    QUIET ->
      printf("quiescent: work %d taken %d of %d\n", work, taken, TOTAL);
      assert(work == 0);                         /* (a) no lost wake-up */
      assert(taken == TOTAL)                     /* (b) */
  }
}
