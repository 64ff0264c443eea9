// host.ts: host → machine calls. The host (JS on the Node main thread: tests, tools) calls a
// machine of the running system through a mailbox in shared memory; a task of the image that
// called hostServe() turns each mailbox slot into an ordinary machine call.
//
// Owns: the mailbox (allocated by hostServe, published in FW HOST_MAILBOX), the doorbell
// protocol (FW HOST_BELL / HOST_SEEN), the serving task, the copy of each call's data into one
// heap block of the serving (= calling) machine's arena, the continuation that copies results
// back, and the status of a finished slot. Not: transport (machine/imc.ts), validation of a
// record (a kernel-level server does it, machine/validate.ts or igen's stubs), how a core
// notices the doorbell (machine/doorbell.ts), the host side
// (tools/host/node.ts startImage: queueing, slot filling, waking, decoding results).
//
// Protocol of one host call (H = the host's main thread, C = any core, S = the serving task):
//  1. H waits until FW HOST_MAILBOX ≠ 0 (hostServe stores it, then wakes the host, step 9).
//  2. H takes a FREE slot (slots are H's until it stores FILLED), writes its header (machine
//     name, hash, method slot, ordinal, record size, buffer table) and data (record, then each
//     buffer, 8-aligned), then Atomics.store STATE = FILLED. A call that does not fit a slot is
//     refused by H; with no FREE slot H queues the call in JS (nothing is dropped).
//  3. H rings: old = Atomics.add(HOST_BELL, 1); if old == Atomics.load(HOST_SEEN) no ring is
//     outstanding, so H wakes every core (their park tokens in the host's control words).
//  4. C, between tasks (every 64th) and when idle (machine/core.ts outsideWork/hasWork), and a
//     core with no machine around its park (machine/core.ts coreLoop), reads HOST_BELL ≠
//     HOST_SEEN → cmpxchg HOST_SEEN to the bell it read; the winner signals S's Signal (MB
//     SIGNAL), whose makeReady gets S's machine a core if it has none. A ring is never lost: no
//     core parks while HOST_BELL ≠ HOST_SEEN (it checks after marking itself SLEEPING), every
//     core checks after its park returns, and H's wake in step 3 posts a token a later park
//     consumes. (Without the coreLoop check, a program whose "main" holds no core hung: seen.)
//  5. S wakes (Signal.wait), then for every slot: cmpxchg STATE FILLED → TAKEN; finds the
//     machine by name (none: STATUS NO_MACHINE), checks the hash (interfaceError: STATUS
//     REFUSED + its message), connects once per machine (cached in MB IFACES), copies the slot's
//     data into ONE heapAlloc'd block (S's machine's arena: record and buffers all lie inside
//     one block of the client's arena), stores each buffer's address into its pointer field
//     (u32), and issues iface.call(method, block, recordSize, ordinal) without waiting: a
//     continuation (hostDone, step 6) gets the result. Then S checks MB STOP (step 8).
//  6. hostDone, a task of S's machine once the call's future completed: success → copy the
//     block back into the slot's data; refused (by the kernel, an unknown method) → STATUS
//     REFUSED + the message (UTF-16) in the data; the handler trapped → STATUS TRAPPED (the
//     report is on stderr); failed without a trap (failQuietly, a foreign machine's error) →
//     STATUS FAILED + the message. Frees the block, releases the future, stores VALUE, then STATE = DONE (atomic).
//  7. hostDone wakes the host: platform.wake(CORE_COUNT) (a core number past the last: the Node
//     host adds 1 to its HOST control word and notifies it; the QEMU host ignores it). H waits
//     on that word with Atomics.waitAsync, scans its slots for DONE, reads the results, stores
//     STATE = FREE (Atomics.store) and fills freed slots from its queue.
//  8. stop(code): H stores MB STOP_CODE, then Atomics.store MB STOP = 1, and rings (step 3). S
//     handles the filled slots of that scan first, then returns STOP_CODE from hostServe. Calls
//     still in flight may complete later; H rejects every call still pending when the system
//     ends.
//  9. hostServe, once the mailbox is published, wakes the host (as in step 7).
// Many calls are in flight at once (one per slot); nothing serialises them but the slot count.
// Rejected: a JS postMessage to a worker (the call would run inside that core's platform import,
// not as a task of a machine, and the worker's event loop is blocked while its core runs wasm);
// Atomics.notify in the image (wasm2c cannot translate it: FACTS); waking one chosen core (a busy
// core would delay the call while another sleeps; a ring wakes all only when none is outstanding).
//
// The mailbox (MB_*: a heap block of MB_HEADER + NSLOTS × (SLOT_HEADER + DATA) bytes) and its
// slots (SLOT_*, states SLOT_FREE → FILLED → TAKEN → DONE, statuses CALL_*) are part of the
// image↔host contract: drawn, with who writes and reads each word, in runtime/abi.json.

import { CORE_COUNT, platform } from "~lib/rt/platform";
import { FW_HOST_MAILBOX, FW_HOST_BELL, FW_HOST_SEEN, MB_NSLOTS, MB_DATA, MB_SIGNAL, MB_STOP, MB_STOP_CODE, MB_IFACES, MB_HEADER, SLOT_HEADER,
  SLOT_STATE, SLOT_HASH, SLOT_METHOD, SLOT_ORDINAL, SLOT_RECORD_SIZE, SLOT_NBUF, SLOT_NAME_LEN, SLOT_STATUS, SLOT_ERR_LEN, SLOT_DATA_LEN,
  SLOT_VALUE, SLOT_BLOCK, SLOT_NAME, SLOT_BUFS, SLOT_BUF_ENTRY, SLOT_BUF_FIELD, SLOT_BUF_OFFSET, SLOT_FREE, SLOT_FILLED, SLOT_TAKEN, SLOT_DONE,
  CALL_OK, CALL_REFUSED, CALL_TRAPPED, CALL_NO_MACHINE, CALL_FAILED, OBJ_HEADER } from "~lib/rt/abi";
import { load32, store32, cas32 } from "~lib/rt/atomic";
import { heapAlloc, heapFree } from "~lib/rt/heap";
import { fail } from "~lib/rt/trap";
import { Signal } from "../sched/signal";
import { Future } from "../sched/future";
import { Task, T_KIND, FLAG_REFUSED, FLAG_TRAPPED } from "../task/task";
import { Machine, findMachineUtf16 } from "../machine/machine";
import { Interface, connect, interfaceError } from "../machine/imc";


/** Serve host calls (tools/host/node.ts startImage's `call`) from the running task's machine
 *  until the host calls stop(code); returns that code. `slots` calls can be in flight at once,
 *  each with up to `slotBytes` of record and buffers. One hostServe per system. */
export function hostServe(slots: i32 = 16, slotBytes: i32 = 65536): i32 {
  if (slots < 1 || slots > 1024) fail("hostServe: " + slots.toString() + " slots (1..1024)");
  if (slotBytes < 64 || (slotBytes & 7) != 0) fail("hostServe: slot size " + slotBytes.toString() + " (a multiple of 8, ≥ 64)");
  if (load32(FW_HOST_MAILBOX)) fail("hostServe: the host mailbox is served already (one hostServe per system)");
  if (<u64>slots * <u64>(SLOT_HEADER + <usize>slotBytes) > (1 << 30)) fail("hostServe: " + slots.toString() + " slots of " + slotBytes.toString() + " bytes exceed 1 GiB");
  let stride = SLOT_HEADER + <usize>slotBytes;
  let size = MB_HEADER + <usize>slots * stride;
  let mb = heapAlloc(size);
  memory.fill(mb, 0, size);
  store<u32>(mb + MB_NSLOTS, <u32>slots);
  store<u32>(mb + MB_DATA, <u32>slotBytes);
  let sig = Signal.create(0);
  store<u32>(mb + MB_SIGNAL, changetype<u32>(sig));
  if (cas32(FW_HOST_MAILBOX, 0, <u32>mb) != 0) fail("hostServe: the host mailbox is served already (one hostServe per system)");
  platform.wake(CORE_COUNT);                                          // step 9
  while (true) {
    sig.wait();                                                       // step 5
    for (let i: usize = 0; i < <usize>slots; i++) {
      let s = mb + MB_HEADER + i * stride;
      if (cas32(s + SLOT_STATE, SLOT_FILLED, SLOT_TAKEN) == SLOT_FILLED) start(mb, s);
    }
    if (load32(mb + MB_STOP)) break;                                  // step 8
  }
  return load<i32>(mb + MB_STOP_CODE);
}

// Step 5 for one slot.
function start(mb: usize, s: usize): void {
  let m = findMachineUtf16(s + SLOT_NAME, load<u32>(s + SLOT_NAME_LEN));
  if (!m) { finish(s, CALL_NO_MACHINE); return; }
  let hash = load<u64>(s + SLOT_HASH);
  let refused = interfaceError(m, hash);
  if (refused.length) {
    writeMessage(s, refused);
    heapFree(changetype<usize>(refused) - OBJ_HEADER);
    finish(s, CALL_REFUSED);
    return;
  }
  let len = <usize>load<u32>(s + SLOT_DATA_LEN);
  let b = heapAlloc(max<usize>(len, 8));
  memory.copy(b, s + SLOT_HEADER, len);
  let nbuf = load<u32>(s + SLOT_NBUF);
  for (let k: u32 = 0; k < nbuf; k++) {
    let e = s + SLOT_BUFS + <usize>k * SLOT_BUF_ENTRY;
    store<u32>(b + <usize>load<u32>(e + SLOT_BUF_FIELD), <u32>(b + <usize>load<u32>(e + SLOT_BUF_OFFSET)));
  }
  store<u32>(s + SLOT_BLOCK, <u32>b);
  let f = iface(mb, m).call(load<u32>(s + SLOT_METHOD), <u64>b, <u64>load<u32>(s + SLOT_RECORD_SIZE), <u64>load<u32>(s + SLOT_ORDINAL));
  f.then(hostDone, <u64>s, <u64>changetype<usize>(f)).release();
}

// Steps 6–7: a task of the serving machine. ARG0 = the call's value, ARG1 = slot, ARG2 = future.
function hostDone(t: Task): u64 {
  let s = <usize>t.arg1;
  let f = changetype<Future>(<usize>t.arg2);
  let b = <usize>load<u32>(s + SLOT_BLOCK);
  store<u64>(s + SLOT_VALUE, t.arg0);
  let status = CALL_OK;
  if (f.failed) {
    let kind = load<u32>(changetype<usize>(f) + T_KIND);
    if (kind & FLAG_REFUSED) { writeMessage(s, f.error); status = CALL_REFUSED; }
    else if (kind & FLAG_TRAPPED) status = CALL_TRAPPED;          // the trap report is on stderr
    else { writeMessage(s, f.error); status = CALL_FAILED; }      // failQuietly, a foreign machine's error
  } else memory.copy(s + SLOT_HEADER, b, <usize>load<u32>(s + SLOT_DATA_LEN));
  f.release();
  heapFree(b);
  store<u32>(s + SLOT_BLOCK, 0);
  finish(s, status);
  return 0;
}

function finish(s: usize, status: u32): void {
  store<u32>(s + SLOT_STATUS, status);
  store32(s + SLOT_STATE, SLOT_DONE);
  platform.wake(CORE_COUNT);
}

// The message's UTF-16 bytes into the slot's data, cut to fit.
function writeMessage(s: usize, msg: string): void {
  let cap = load<u32>(<usize>load32(FW_HOST_MAILBOX) + MB_DATA);
  let n = min<u32>(<u32>msg.length << 1, cap);
  memory.copy(s + SLOT_HEADER, changetype<usize>(msg), <usize>n);
  store<u32>(s + SLOT_ERR_LEN, n);
}

// One interface per machine, connected on first use with room for every slot's call.
function iface(mb: usize, m: Machine): Interface {
  let at = mb + MB_IFACES + (<usize>m.id << 2);
  let i = <usize>load<u32>(at);
  if (!i) {
    let cap: u32 = 2;
    while (cap < load<u32>(mb + MB_NSLOTS)) cap <<= 1;
    i = changetype<usize>(connect(m, cap));
    store<u32>(at, <u32>i);
  }
  return changetype<Interface>(i);
}
