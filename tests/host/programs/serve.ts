// serve.ts: a system that serves host calls (runtime/service/host.ts) to a user-level machine "calc" and
// a kernel-level machine "kcalc" (igen interface hash 0x1122334455667788, records checked by the
// kernel: runtime/machine/validate.ts R1–R5), with hand-written record handling. main() serves until the
// host calls stop(code) and returns that code. argv[1], if given: mailbox slots.
import { Task, Signal, defineMachine, findMachine, hostServe, args, println, failQuietly, text } from "aam";
import { igenOfferInterface, igenOfferRecord } from "aam/igen";

// Methods (task slots) of calc; kcalc offers ADD and XFER as igen records.
const ADD: u32 = 0, XFER: u32 = 1, BOOM: u32 = 2, HANG: u32 = 3, QUIET: u32 = 4;

// Records (igen layout, little-endian, request then result):
//  add  (16 bytes): +0 a u32, +4 b u32, +8 sum u32 (result)
//  xfer (32 bytes): +0 in ptr, +4 inLen, +8 out ptr, +12 outLen, +16 io ptr, +20 ioLen,
//                   +24 result u32 = sum of the in bytes. out[i] = in[i % inLen] ^ 0x5a; io[i] += 1
function add(t: Task): u64 {
  let r = <usize>t.arg0;
  store<u32>(r + 8, load<u32>(r) + load<u32>(r + 4));
  return 0;
}
function xfer(t: Task): u64 {
  let r = <usize>t.arg0;
  let inp = <usize>load<u32>(r), inLen = <usize>load<u32>(r + 4);
  let out = <usize>load<u32>(r + 8), outLen = <usize>load<u32>(r + 12);
  let io = <usize>load<u32>(r + 16), ioLen = <usize>load<u32>(r + 20);
  let sum: u32 = 0;
  for (let i: usize = 0; i < inLen; i++) sum += load<u8>(inp + i);
  for (let i: usize = 0; i < outLen; i++) store<u8>(out + i, load<u8>(inp + i % inLen) ^ 0x5a);
  for (let i: usize = 0; i < ioLen; i++) store<u8>(io + i, load<u8>(io + i) + 1);
  store<u32>(r + 24, sum);
  return 0;
}
function boom(t: Task): u64 {
  if (t.arg1 != 0xdead) unreachable();              // a handler that traps
  return 0;
}
function quiet(t: Task): u64 {                     // a handler that fails its call on purpose
  let r = <usize>t.arg0;
  return failQuietly(text("calc.quiet: ").dec(load<u32>(r)).s(" is not allowed").done());
}
function hang(t: Task): u64 {
  Signal.create(0).wait();                          // never signalled: the call stays in flight
  return 0;
}

// Record specs for the kernel (validate.ts layout): SIZE RESULT RESULT_SIZE ORDINAL NPTR NAMES,
// then per pointer FIELD DIR ELEM LEN LEN_KIND MAXB.
const ADD_SPEC = memory.data<u32>([16, 8, 4, 3, 0, 0]);
const XFER_SPEC = memory.data<u32>([32, 24, 4, 7, 3, 0,
  0, 1, 1, 4, 4, 60000,
  8, 2, 1, 12, 4, 60000,
  16, 3, 1, 20, 4, 60000]);

export function machines(): void {
  defineMachine("calc").offer(ADD, add).offer(XFER, xfer).offer(BOOM, boom).offer(HANG, hang).offer(QUIET, quiet);
  let kcalc = defineMachine("kcalc", { kernel: true });
  igenOfferInterface(kcalc, 0x1122334455667788);
  igenOfferRecord(kcalc, ADD, add, ADD_SPEC, "add");
  igenOfferRecord(kcalc, XFER, xfer, XFER_SPEC, "xfer in out io");
}

export function main(): i32 {
  let a = args();
  let code = a.length > 1 ? hostServe(I32.parseInt(a[1])) : hostServe();
  println("hostServe returned " + code.toString() + "; calls served: calc " + findMachine("calc")!.callsIn.toString() +
    ", kcalc " + findMachine("kcalc")!.callsIn.toString());
  return code;
}
