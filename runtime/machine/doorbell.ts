// doorbell.ts: how a core notices that the host rang the host-call mailbox.
//
// Owns: the two doorbell words' reader side (FW HOST_BELL, HOST_SEEN; service/host.ts step 4)
// and the mailbox's Signal it rings (MB_SIGNAL, runtime/abi.json). Not: the mailbox, the serving task, the host side
// (service/host.ts, tools/host/calls.ts). Lives below the core's loop (core.ts), which polls it
// between tasks, when idle, and around a park with no machine.

import { FW_HOST_MAILBOX, FW_HOST_BELL, FW_HOST_SEEN, MB_SIGNAL } from "~lib/rt/abi";
import { load32, cas32 } from "~lib/rt/atomic";
import { Signal } from "../sched/signal";

/** Step 4: if the host rang since a core last looked, the core that moves HOST_SEEN signals the
 *  serving task. Returns 1 if this core did. */
export function hostPoll(): u32 {
  let seen = load32(FW_HOST_SEEN);
  let bell = load32(FW_HOST_BELL);
  if (bell == seen || cas32(FW_HOST_SEEN, seen, bell) != seen) return 0;
  let mb = <usize>load32(FW_HOST_MAILBOX);
  if (mb) changetype<Signal>(load<u32>(mb + MB_SIGNAL)).signal();
  return 1;
}

/** Has the host rung without a core noticing yet? (the idle check; two loads) */
// @ts-ignore: decorator
@inline export function hostRang(): bool { return load32(FW_HOST_BELL) != load32(FW_HOST_SEEN); }
