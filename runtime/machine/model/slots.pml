/* slots.pml: Promela model of a client core's ring of call slots (runtime/machine/imc.ts "call
 * slots" p1-p3, task/task.ts taskRelease of a FLAG_SLOT record), checked with spin by
 * tests/model/slots.test.mjs.
 *
 * Owns: one client core's ring (S slots) issuing N calls, two server cores taking them, and the
 * cores that drop a call's last reference, at the atomicity of the runtime (each labelled step
 * is ONE atomic shared-memory operation, sequentially consistent; the client's plain stores into
 * a slot it owns are one step, since nobody reads them before the publishing store). Not: what
 * runs the call and how its result goes back (handoff.pml, imc.pml), credits (a slot takes
 * none; the client here never has more than N calls out), other client cores (each has its own
 * ring and PI).
 *
 *   Client (core c, its calls in order; PI is its own word):
 *     p1a  KIND of slot PI % S == 0 (load)? else the call goes down the task queue (viaq++)
 *          -DNO_FREE_CHECK: no check (the broken variant: must be rejected)
 *     p1b  fill the slot: KIND = CALL, its fields (one step: the slot is the client's)
 *     p1c  NEXT = seq(PI) (store: publishes the fields); PI++
 *   Server (two cores):
 *     p2a  c = CI (load); NEXT of slot c % S == seq(c)? (load) else poll again
 *     p2b  cas CI c -> c + 1; lost: poll again
 *     p2c  the call is taken (counted; NEXT stays: a stale seq is a lap old, never the one p2a
 *          expects); its completion goes to a releasing core
 *   Release (the core that drops the last reference, any core):
 *     p3a  clean up the record (its message: reads the slot's fields)
 *     p3b  KIND = 0 (store, last)
 *          -DFREE_FIRST: KIND = 0 before the clean-up (the broken variant: must be rejected)
 *   Or, for a call handed over to its caller spinning on core c (imc.ts imcHandedRelease: the
 *   server's HANDED cmpxchg was its last touch of the record), core c itself, between its calls:
 *     p3c  FREED bit of the slot = 1 (core c's own word; KIND and the fields stay as they were);
 *          p1a then takes a slot whose FREED bit is set as free, and clears the bit as it fills it
 *          -DNO_FREED_CLEAR: the bit stays set (the broken variant: must be rejected)
 *
 * Properties
 *   (a) every call published in a slot is taken exactly once: taken[k] == 1 for each (assert in
 *       Server: never twice; Check: none lost, and Check must run: a system that stops with the
 *       servers short of PI is an invalid end state);
 *   (b) a slot is never refilled before its call's clean-up ended (assert in Release: the
 *       fields it cleans up are its call's);
 *   (c) the call a server takes at position p is the one the client published at p (never a
 *       refilled slot's, never an older lap's).
 */

#ifndef S
#define S 2
#endif
#ifndef N
#define N 5
#endif

byte kind[S];        /* 0: free, else the call in the slot + 1 */
byte nxt[S];         /* 0 or seq(position) = position + 1 */
byte ci;             /* next position the servers take */
byte pi;             /* next position the client publishes */
byte taken[N];
byte viaq;           /* calls that went down the task queue */
bit freed[S];        /* core c's FREED mask: slots freed without a write to them (p3c) */
byte atpos[N];       /* the call published at each position, for (c) */
byte taking;         /* servers between p2b and p2c (the model's bookkeeping) */
bit clientDone;
chan rel = [N] of { byte };   /* slots whose calls completed: released by Release */
chan hand = [N] of { byte };  /* slots whose calls were handed over to core c's caller (p3c) */

active proctype Client()
{
  byte k = 0, s;
  do
  :: hand ? s ->                                  /* p3c: a handed-over call, freed here */
     assert(kind[s] != 0 && taken[kind[s] - 1] == 1);   /* (b) */
p3c: freed[s] = 1
  :: k < N ->
     s = pi % S;
#ifndef NO_FREE_CHECK
p1a: if
     :: kind[s] == 0 || freed[s] ->
#else
p1a: if
     :: true ->
#endif
#ifndef NO_FREED_CLEAR
        freed[s] = 0;
#endif
p1b:    kind[s] = k + 1;
p1c:    atomic { nxt[s] = pi + 1; atpos[pi] = k; pi++ }
     :: else -> viaq++
     fi;
     k++
  :: k == N -> break
  od;
  do                                              /* the callers of the last calls wait for them */
  :: hand ? s ->
     assert(kind[s] != 0 && taken[kind[s] - 1] == 1);
     freed[s] = 1
  :: ci == pi && taking == 0 && empty(hand) -> break
  od;
  clientDone = 1
}

active [2] proctype Server()
{
  byte c, s, call;
  bit won;
  do
  :: atomic { c = ci; s = c % S };               /* p2a: the poll, as a wait for its condition */
end_poll:
     if
     :: nxt[s] == c + 1 ->
p2b:    atomic { if :: ci == c -> ci = c + 1; won = 1; taking++ :: else -> won = 0 fi };
        if
        :: won ->
p2c:       atomic {
             call = kind[s] - 1;
             assert(kind[s] != 0);
             taken[call]++;
             assert(taken[call] == 1);            /* (a): never twice */
             assert(call == atpos[c]);            /* (c) */
             if                                   /* released by some core, or handed over */
             :: rel ! s
             :: hand ! s
             fi;
             taking--
           }
        :: else
        fi
     :: ci != c                                   /* another core took it: poll again */
     fi
  od
}

active proctype Release()
{
  byte s, call;
end_rel:
  do
  :: rel ? s ->
#ifndef FREE_FIRST
p3a:  call = kind[s];                            /* the clean-up reads the call's fields */
      assert(call != 0 && taken[call - 1] == 1); /* (b) */
p3b:  kind[s] = 0
#else
p3b:  call = kind[s];
      kind[s] = 0;
p3a:  assert(kind[s] == 0 || kind[s] == call)    /* (b): a refill between them is caught */
#endif
  od
}

active proctype Check()          /* no end label: a run where the servers stop short of PI ends invalid */
{
  byte k, published;
  atomic {
    clientDone && ci == pi && taking == 0 && len(rel) == 0 && len(hand) == 0 ->
      published = 0;
      k = 0;
      do
      :: k < N -> published = published + taken[k]; k++
      :: else -> break
      od;
      printf("end: %d through slots, %d through the task queue\n", published, viaq);
      assert(published + viaq == N)              /* (a): none lost */
  }
}
