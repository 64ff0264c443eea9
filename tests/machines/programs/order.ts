// order.ts: ordered calls reach the server's handler in the order issued (checked with sequence
// numbers at the server), and a per-client limit caps how many of a client's calls run at once
// (the interface's high-water mark, and the server's own count of concurrent handlers).
// Usage: order [calls] [limit]
import { Task, Future, println, args, heapAlloc, heapFree, defineMachine, findMachine, connect } from "aam";

const SEQ: u32 = 0, SLOW: u32 = 1;         // server's methods
const CLIENT: u32 = 0;                     // clients' method

const nextSeq = memory.data(8 * 4);        // per client: next sequence number the server expects
const outOfOrder = memory.data(8);
const running = memory.data(4), peak = memory.data(4);

function burn(n: u64): u64 { let x = n; for (let i = 0; i < 400; i++) x = x * 6364136223846793005 + 1; return x; }

// server.SEQ, called ordered: arg0 = client, arg1 = sequence number
function seq(t: Task): u64 {
  burn(t.arg1);
  let slot = nextSeq + (<usize>t.arg0 << 3);
  if (atomic.load<u64>(slot) != t.arg1) atomic.add<u64>(outOfOrder, 1);
  atomic.store<u64>(slot, t.arg1 + 1);
  return t.arg1;
}

// server.SLOW, unordered: counts how many run at once
function slow(t: Task): u64 {
  let now = atomic.add<u32>(running, 1) + 1;
  let p = atomic.load<u32>(peak);
  while (now > p) { let seen = atomic.cmpxchg<u32>(peak, p, now); if (seen == p) break; p = seen; }
  burn(t.arg0);
  atomic.sub<u32>(running, 1);
  return t.arg0;
}

// clients.CLIENT: arg0 = my number, arg1 = calls, arg2 = mode (0 ordered, 1 limited)
function client(t: Task): u64 {
  let iface = connect(findMachine("server")!, 64, t.arg2 == 1 ? <u32>limitOf() : 0);
  let fs = heapAlloc(64 * 8);
  let ok: u64 = 0;
  for (let base: u64 = 0; base < t.arg1; base += 64) {
    let m = <u32>min<u64>(64, t.arg1 - base);
    for (let j: u32 = 0; j < m; j++) store<u64>(fs + (<usize>j << 3), (t.arg2 == 0 ? iface.ordered.call(SEQ, t.arg0, base + j) : iface.call(SLOW, base + j)).asArg());
    for (let j: u32 = 0; j < m; j++) if (Future.fromArg(load<u64>(fs + (<usize>j << 3))).join() == base + j) ok++;
  }
  heapFree(fs);
  return t.arg2 == 1 ? <u64>iface.highWater << 32 | ok : ok;
}

const limitSlot = memory.data(4);
function limitOf(): u32 { return atomic.load<u32>(limitSlot); }

export function machines(): void {
  defineMachine("server").offer(SEQ, seq).offer(SLOW, slow);
  defineMachine("clients").offer(CLIENT, client);
}

export function main(): i32 {
  let a = args();
  let n: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 5000;
  atomic.store<u32>(limitSlot, a.length > 2 ? <u32>I32.parseInt(a[2]) : 2);
  let cl = connect(findMachine("clients")!, 4);
  let f0 = cl.call(CLIENT, 0, n, 0), f1 = cl.call(CLIENT, 1, n, 0), f2 = cl.call(CLIENT, 2, n, 1);
  let ok0 = f0.join(), ok1 = f1.join(), r2 = f2.join();
  let high = <u32>(r2 >> 32), ok2 = r2 & 0xffffffff;
  println("ordered ok " + (ok0 + ok1).toString() + " of " + (2 * n).toString() + " out of order " + atomic.load<u64>(outOfOrder).toString() +
    " limited ok " + ok2.toString() + " high water " + high.toString() + " limit " + limitOf().toString() + " server peak " + atomic.load<u32>(peak).toString());
  return ok0 + ok1 == 2 * n && ok2 == n && atomic.load<u64>(outOfOrder) == 0 && (limitOf() == 0 || high <= limitOf()) ? 0 : 1;
}
