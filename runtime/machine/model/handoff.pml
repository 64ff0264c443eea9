/* handoff.pml: Promela model of a machine call's result handed over in place (runtime/sched/
 * future.ts h1-h5, sched.ts schedSpinFor/claim/unclaim, machine/imc.ts issue/callComplete/
 * imcHandoff), checked with spin by tests/model/handoff.test.mjs.
 *
 * Owns: the future word's states around one call at their atomicity (each labelled step is ONE
 * atomic shared-memory operation, sequentially consistent). Spin windows are a nondeterministic
 * number of polls, so every window length (0 included) is covered. Not: the result queue's
 * insides (a bit `queued`), the slot's FREED bit (slots.pml), the wake-up of a suspended task's
 * core (park.pml), the IMS of an unmonitored queue (imc.pml).
 *
 *   Owner (the task holding the call's handle: it issued the call):
 *     c2  publish the call with its word SPINNING (claimed: call() in a slot, callSync) or 0
 *     then either releases the handle at once (r1), or waits for the result (join, wait, done
 *     polled), perhaps with another task waiting on the same future (Other), and then releases:
 *     h1  cas word 0 -> SPINNING if nobody claimed it (schedSpinFor's claim; the runtime makes
 *         it for a call in a slot only, a subset of what is modelled)
 *     p1  poll, any number of times (the window): word DONE or HANDED -> the result is there
 *     h3  cas word SPINNING -> 0 (give the claim back); failed: DONE or HANDED -> the result is
 *         there; 0 or a list -> another waiter took the claim away: suspend as well
 *     w2  registerWaiter (below)
 *     w3  wait to be made ready
 *     r1  release (h4): cas word SPINNING -> 0; HANDED -> finish the call here (imcHandoff or
 *         imcHandedRelease: word = DONE) -- only after Other is done with the future (the API's
 *         rule: a handle's release ends every use of it)
 *   Other (a second task waiting on the same future, when the owner shares it): the same h1,
 *     p1, h3, w2, w3; it never finishes a HANDED call, it only reads the result.
 *   registerWaiter (future.ts step 2), a loop of single atomic steps:
 *     SPINNING -> cas to 0 (h5: a claim nobody may be spinning on goes; the result will be
 *     queued); DONE or HANDED -> ready at once; 0 or a list -> cas the task onto the list
 *     -DOLD_WAITER: SPINNING or HANDED -> wait until it changes (the protocol before claims at
 *     publish, when SPINNING meant a caller spinning right now): must be rejected
 *   Server (the core whose handler returned):
 *     h2  cas word SPINNING -> HANDED; failed -> q1 push on the result queue
 *         -DNO_CAS: a load, then a store of HANDED (broken: must be rejected)
 *   Drain (a core of the client machine taking the result queue in):
 *     d1  take the call off the queue; d2 complete: old = xchg word DONE; every task on the
 *         list -> ready; SPINNING -> nothing (a spinner sees DONE); HANDED or DONE -> error
 *   -DNO_RELEASE_FINISH: r1 finds HANDED and only drops the handle (broken: must be rejected)
 *
 * Properties
 *   (a) the call finishes exactly once: `finished` == 1 at the end (assert in Check);
 *   (b) every waiting task resumes: its end state is only valid after it was made ready or saw
 *       the result; and it resumes with the result there (assert: word DONE or HANDED);
 *   (c) no completion through the queue meets HANDED or DONE (assert in Drain).
 */

#define DONE 1
#define SPINNING 2
#define HANDED 3
#define W_OWNER 4          /* list bits: the owner, Other are waiting on the word */
#define W_OTHER 8

byte word;                 /* the call's future word: 0, DONE, SPINNING, HANDED or list bits */
bit published;
bit queued;                /* the call sits on the result queue */
bit draining;              /* taken off it, not yet completed */
bit handed;                /* the server handed it over */
byte finished;             /* completions of the call: at a release (hand-over) or by the drain */
bit readyO, readyX;        /* made ready after registerWaiter */
bit otherOn, otherDone;
bit resumed;               /* the owner is done (its handle released) */
bit served;

/* registerWaiter for the waiter whose list bit is B and whose ready bit is R */
inline registerWaiter(B, R) {
  do
#ifndef OLD_WAITER
  :: atomic { word == SPINNING -> word = 0 }
  :: atomic { (word == DONE || word == HANDED) -> R = 1; break }
#else
  :: atomic { word == DONE -> R = 1; break }
#endif
  :: atomic { (word == 0 || word >= W_OWNER) -> word = word | B; break }
  od
}

/* a waiter's spin, then registerWaiter and the wait; ends with the result there (G set) */
inline waitFor(B, R, G) {
/* h1 */ atomic { if :: word == 0 -> word = SPINNING :: else fi };
/* p1 */ do
    :: atomic { (word == DONE || word == HANDED) -> G = 1; break }
    :: break                                     /* the window ran out */
    od;
    if
    :: G -> skip
    :: else ->
/* h3 */ atomic {
        if
        :: word == SPINNING -> word = 0
        :: word == DONE || word == HANDED -> G = 1
        :: else                                  /* 0 or a list: the claim was taken away */
        fi
      };
      if
      :: G -> skip
      :: else ->
/* w2 */ registerWaiter(B, R);
/* w3 */ R == 1                                   /* not an end label: (b) */
      fi
    fi
}

active proctype Owner()
{
  bit got;
c2: atomic { if :: word = SPINNING :: skip fi; published = 1 };
  if
  :: goto r1                                     /* released at once */
  :: otherOn = 1                                 /* shared with Other, then waited for */
  :: skip                                        /* waited for */
  fi;
  waitFor(W_OWNER, readyO, got);
  assert(word == DONE || word == HANDED);        /* (b) */
  otherOn == 0 || otherDone == 1;                /* the API: no release while another task uses it */
r1: atomic {
      if
      :: word == SPINNING -> word = 0
#ifndef NO_RELEASE_FINISH
      :: word == HANDED -> word = DONE; finished++
#endif
      :: else
      fi
    };
  resumed = 1
}

active proctype Other()
{
  bit got;
end_o0:
  otherOn == 1;
  waitFor(W_OTHER, readyX, got);
  assert(word == DONE || word == HANDED);        /* (b) */
  otherDone = 1
}

active proctype Server()
{
  published == 1;
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
d1: atomic { queued -> queued = 0; draining = 1 };
d2: atomic {
      old = word; word = DONE;
      assert(old != HANDED && old != DONE);      /* (c) */
      if :: old & W_OWNER -> readyO = 1 :: else fi;
      if :: old & W_OTHER -> readyX = 1 :: else fi;
      finished++;
      draining = 0
    }
}

active proctype Check()
{
end_check:
  atomic {
    resumed && served && !queued && !draining && (otherOn == 0 || otherDone == 1) ->
      printf("end: finished %d, handed %d\n", finished, handed);
      assert(finished == 1)                      /* (a) */
  }
}
