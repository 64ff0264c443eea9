/* imc.pml: Promela model of the monitored-flag / IMS hand-off of one machine-call interface
 * (client machines -> server machine), checked with spin by tests/model/spin.test.mjs.
 *
 * Owns: the protocol as runtime/ implements it, at its atomicity granularity: every labelled step
 * below is ONE atomic shared-memory operation, sequentially consistent; what a step does with its
 * result afterwards is machine-local. Not: the queue's internals (Q is a Promela channel, i.e. an
 * atomic bounded FIFO), the result queue (the same hand-off in the other direction), the manager's
 * core policy, or fairness/liveness of the grace period.
 *
 * Shared state
 *   q       the interface's task queue, capacity QCAP, client -> server
 *   mon     MON: 1 = the server is monitoring q (a sender need not signal)
 *   sig     SIG: the server machine's signal buffer, a 1-slot "pending" bit (IMS coalesce)
 *   asleep  the manager's record that the server machine is parked (no core, waiting for a signal)
 *
 * Steps (Promela -> protocol)
 *   Client c, for each of its M messages:
 *     c1  q!msg                 wait while Q is full (a send on a full channel blocks), enqueue
 *     c2  cmon = mon            read MON
 *     c3  cmon == 0 -> sig = 1  IMS: the manager sets SIG pending; setting it is also the wake-up,
 *                               since the parked server's only guard is `sig` (step s5)
 *   Server:
 *     s1  sig -> sig = 0; mon = 1   signal pending: take it, start monitoring q
 *     s2  q?msg                 drain: dequeue one message and process it (seen[], processed)
 *     grace                     q empty: either keep monitoring (back to s1: poll again) or end
 *                               the grace period (nondeterministic: any grace length)
 *     s3  mon = 0               stop monitoring
 *     s4  len(q) > 0            RE-CHECK q; if non-empty: s4b mon = 1, back to s2.
 *                               Compiled out with -DNO_RECHECK: that variant must be rejected.
 *     s5  asleep = 1, then `sig` parks until a signal is pending; waking clears asleep, then s1.
 *         Park is "park unless SIG pending" under the manager: the guard is evaluated atomically.
 *
 * Properties
 *   (a) no lost wake-up: never all clients finished, q non-empty, the server asleep and no SIG
 *       pending (nothing could ever wake it again). Checked by the Check process's assert in every
 *       state where it can happen, and independently as an invalid end state: run pan with -q so a
 *       terminal state with messages left in q is invalid although s5 is an end label.
 *   (b) every message processed exactly once: assert at each dequeue that it was not seen before,
 *       and processed == NC*M once the system is quiescent (clients done, server asleep, no SIG).
 *   (c) no deadlock: pan's invalid end states. Only s5 (server) and Check's wait are end labels,
 *       so e.g. a client blocked on a full q while the server sleeps is reported.
 *
 * Sizes: NC clients, M messages each, QCAP slots; override with -D (spin -a -DNC=1 ...).
 */

#ifndef NC
#define NC 2
#endif
#ifndef M
#define M 3
#endif
#ifndef QCAP
#define QCAP 2
#endif
#define TOTAL (NC * M)

chan q = [QCAP] of { byte };
bit  mon;
bit  sig;
bit  asleep;
byte done;                  /* clients that have finished all their messages */
byte processed;
bit  seen[TOTAL];

/* Quiescent: nothing can happen any more except the server's own grace polling, which stopped. */
#define QUIET  (done == NC && asleep && !sig)

active [NC] proctype Client()
{
  byte i;
  bit cmon;
  do
  :: i < M ->
c1:  atomic { q!(_pid * M + i); printf("client %d: enqueue msg %d\n", _pid, _pid * M + i) };
c2:  atomic { cmon = mon; printf("client %d: read MON %d\n", _pid, cmon) };
c3:  atomic {
       if
       :: cmon == 0 -> sig = 1; printf("client %d: IMS\n", _pid)
       :: else
       fi;
       cmon = 0;                                /* dead local: reset to keep states few */
       i++
     }
  :: else -> break
  od;
  done++
}

active proctype Server()
{
  byte msg;
s1:
  atomic {
    if
    :: sig -> sig = 0; mon = 1; printf("server: SIG taken, MON 1\n")
    :: else
    fi
  };
s2:
  do
  :: atomic { q?msg ->
       assert(!seen[msg]);                      /* (b) never twice */
       seen[msg] = 1; processed++; printf("server: process msg %d\n", msg); msg = 0 }
  :: empty(q) ->
       if
       :: goto s1                               /* still in the grace period: poll again */
       :: break                                 /* grace period over */
       fi
  od;
s3:
  atomic { mon = 0; printf("server: MON 0\n") };
#ifndef NO_RECHECK
s4:
  if
  :: len(q) > 0 ->
s4b: atomic { mon = 1; printf("server: re-check found messages, MON 1\n") };
     goto s2
  :: else
  fi;
#endif
s5:
  atomic { asleep = 1; printf("server: asleep\n") };
end_s5:
  atomic { sig -> asleep = 0; printf("server: woken\n") };
  goto s1
}

active proctype Check()
{
end_check:
  atomic {
    QUIET ->
      printf("quiescent: q %d sig %d asleep %d done %d processed %d of %d\n",
             len(q), sig, asleep, done, processed, TOTAL);
      assert(len(q) == 0);                      /* (a) no lost wake-up */
      assert(processed == TOTAL)                /* (b) none lost */
  }
}
