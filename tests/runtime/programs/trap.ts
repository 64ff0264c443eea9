// trap.ts: ways for a core to stop the system. argv[1] picks one, argv[2] the core that does it:
//   unreachable | oob | divzero | assert | heapbad | exit3 | none
// and argv[3] = "spin" keeps every other core busy in an endless loop meanwhile.
import { coreId, println, args, exit, heapFree } from "aam";
import { MEMORY_BASE } from "~lib/rt/abi";

let which = "";
let who = 0;

function boom(kind: string): i32 {
  if (kind == "unreachable") unreachable();
  if (kind == "oob") return load<i32>(0xFFFFFFF0);
  if (kind == "divzero") { let z = coreId() - who; return 10 / z; }
  if (kind == "assert") assert(false, "the answer was not 42");
  if (kind == "heapbad") heapFree(MEMORY_BASE + 4);
  if (kind == "exit3") exit(3);
  return 0;
}

export function percore(): void {
  let a = args();
  which = a.length > 1 ? a[1] : "none";
  who = a.length > 2 ? I32.parseInt(a[2]) : 2;
  if (coreId() == who) boom(which);
  else if (a.length > 3 && a[3] == "spin") { let x = 0; while (atomic.load<i32>(0x2000) == 0) x++; }
}

export function main(): i32 {
  println("no trap: " + which);
  return 0;
}
