/* handoff.pml: Promela model of a machine call's result handed over in place to a caller that
 * spins for it (runtime/sched/future.ts h1-h3, sched.ts schedSpinFor/claim/unclaim, machine/imc.ts
 * callComplete/imcHandoff), checked with spin by tests/model/handoff.test.mjs.
 *
 * Owns: the future word's states around one call at their atomicity (each labelled step is ONE
 * atomic shared-memory operation, sequentially consistent). The caller's spin window is a
 * nondeterministic number of polls, so every window length (0 included) is covered. Not: the
 * result queue's insides (a bit `queued`), the credits, the wake-up of a suspended caller's core
 * (park.pml), the IMS of an unmonitored queue (imc.pml).
 *
 *   Caller (the task that issued the call and waits for it):
 *     h1  cas word 0 -> SPINNING (claimed)
 *     p1  poll, any number of times (the window):
 *           claimed and word == HANDED -> finish the call here (imcHandoff: word = DONE) -> done
 *           word == DONE -> done (the call came through the queue, taken in by the spin)
 *     h3  claimed: cas word SPINNING -> 0; failed: HANDED -> finish here, DONE -> done
 *     w2  suspend: cas word 0 -> WAITER (DONE: ready at once)
 *     w3  wait to be made ready
 *   Server (the core whose handler returned):
 *     h2  cas word SPINNING -> HANDED; failed -> q1 push on the result queue
 *         -DNO_CAS: a load, then a store of HANDED (the broken variant: must be rejected)
 *   Drain (a core of the client machine taking the result queue in; the caller's own spin does
 *   the same, which this process covers):
 *     d1  take the call off the queue; d2 complete: old = xchg word DONE; WAITER -> make the
 *         caller ready; SPINNING -> nothing (the spinner sees DONE); HANDED or DONE -> error
 *
 * Properties
 *   (a) the call finishes exactly once: `finished` == 1 at the end (assert in Check), and never
 *       both handed over and queued;
 *   (b) the caller always resumes: its end state is only valid after it saw DONE or finished;
 *   (c) no completion through the queue meets HANDED or DONE (assert in Drain).
 */

#define DONE 1
#define SPINNING 2
#define HANDED 3
#define WAITER 4

byte word;                 /* the call's future word */
bit queued;                /* the call sits on the result queue */
bit handed;                /* the server handed it over */
byte finished;             /* completions of the call: handoff or queue */
bit ready;                 /* the suspended caller was made ready */
bit resumed;
bit served;

active proctype Caller()
{
  bit claimed;
h1: atomic { if :: word == 0 -> word = SPINNING; claimed = 1 :: else fi };
p1: do
    :: atomic { claimed && word == HANDED -> word = DONE; finished++ }; goto done
    :: word == DONE -> goto done
    :: break                                     /* the window ran out */
    od;
h3: if
    :: claimed ->
       atomic {
         if
         :: word == SPINNING -> word = 0
         :: word == HANDED -> word = DONE; finished++; goto done
         :: word == DONE -> goto done
         fi
       }
    :: else
    fi;
w2: atomic { if :: word == 0 -> word = WAITER :: word == DONE -> ready = 1 fi };
w3: ready == 1;                                 /* not an end label: (b) */
done:
  resumed = 1
}

active proctype Server()
{
#ifndef NO_CAS
h2: atomic { if :: word == SPINNING -> word = HANDED; handed = 1 :: else fi };
#else
  byte seen;
h2: seen = word;
    if :: seen == SPINNING -> word = HANDED; handed = 1 :: else fi;
#endif
q1: if :: !handed -> queued = 1 :: else fi;
  served = 1
}

active proctype Drain()
{
  byte old;
end_d0:
d1: atomic { queued -> queued = 0 };
d2: atomic {
      old = word; word = DONE;
      assert(old != HANDED && old != DONE);      /* (c) */
      if :: old == WAITER -> ready = 1 :: else fi;
      finished++
    }
}

active proctype Check()
{
end_check:
  atomic {
    resumed && served && !queued ->
      printf("end: finished %d, handed %d\n", finished, handed);
      assert(finished == 1)                      /* (a) */
  }
}
