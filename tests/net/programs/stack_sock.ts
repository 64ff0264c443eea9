// stack_sock.ts: net.idl's socket calls through the generated client, on machine "net" without a
// device (loopback only; configured explicitly: defineNet({ ip, device: false })).
// tests/net/stack_inimage.test.mjs runs it. Questions: do UDP sockets talk over 127.0.0.1 with
// bind/sendto/recvfrom and connect/send/recv, reporting the peer's address? does each misuse
// answer its errno (bad descriptors, types, states, sizes, ports in use, DONTWAIT)? does a
// close wake a task waiting in recvfrom with EBADF? are 1024 descriptors the limit (EMFILE) and
// all free again after? does a buffer outside the caller's memory fail the call itself (the
// kernel's check), while the machine goes on? is the heap back to its baseline after 200
// rounds? Prints one line per question.
import { Task, println, spawn, yieldNow, coreCount, heapBlocksInUse, heapAlloc, heapFree } from "aam";
import { defineNet, connectNet, NetClient, NetAddr, NetInfo, SOCK_DGRAM, SOCK_STREAM, MSG_DONTWAIT } from "../../../aams/net/index";

export function machines(): void { defineNet({ ip: "10.0.0.2/24", device: false }); }

function blocks(): u64 { let b: u64 = 0; for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c); return b; }

const LO: u32 = 0x7F000001;

// One round: A bound to 7000, B connected to A; B → A, A → B (sendto the address recvfrom gave).
function round(net: NetClient, buf: usize, from: NetAddr): bool {
  let a = net.socketSync(SOCK_DGRAM), b = net.socketSync(SOCK_DGRAM);
  let ok = net.bindSync(a, 0, 7000) == 0 && net.connectSync(b, LO, 7000) == 0;
  for (let i: u32 = 0; i < 100; i++) store<u8>(buf + i, <u8>i);
  ok = ok && net.sendSync(b, buf, 100) == 100;
  memory.fill(buf, 0, 100);
  ok = ok && net.recvfromSync(a, buf, 2048, from, 0) == 100 && load<u8>(buf + 99) == 99 && from.ip == LO && from.port >= 49152;
  ok = ok && net.sendtoSync(a, buf, 10, from.ip, from.port) == 10 && net.recvSync(b, buf, 2048) == 10;
  ok = ok && net.closeSync(a) == 0 && net.closeSync(b) == 0;
  return ok;
}

// Waits in recvfrom on the descriptor arg1 (client arg0); its result.
function waiter(t: Task): u64 {
  let net = NetClient.fromArg(t.arg0), buf = heapAlloc(64), from = NetAddr.alloc();
  let r = net.recvfromSync(<i32>t.arg1, buf, 64, from, 0);
  heapFree(buf); from.free();
  return <u64>(<i64>r);
}

export function main(): i32 {
  let net = connectNet(1024);
  let buf = heapAlloc(2048), from = NetAddr.alloc(), info = NetInfo.alloc();

  round(net, buf, from);                                   // first allocations
  let b0 = blocks(), ok = true;
  for (let i = 0; i < 200; i++) ok = round(net, buf, from) && ok;
  let grew = <i64>(blocks() - b0);

  // Errnos.
  let u = net.socketSync(SOCK_DGRAM), t = net.socketSync(SOCK_STREAM), u2 = net.socketSync(SOCK_DGRAM);
  let e1 = net.sendSync(999, buf, 1), e2 = net.socketSync(5), e3 = net.listenSync(u, 4), e4 = net.sendtoSync(u, buf, 1473, LO, 9);
  let e5 = net.bindSync(u, 0, 7001), e6 = net.bindSync(u2, 0, 7001), e7 = net.recvfromSync(u, buf, 64, from, MSG_DONTWAIT);
  let e8 = net.sendSync(u, buf, 1), e9 = net.recvSync(t, buf, 1), e10 = net.bindSync(u, 0, 7002), e11 = net.listenSync(t, 4);
  let e12 = net.sendtoSync(u, buf, 1, LO, 0), e13 = net.closeSync(999);
  println("errnos: " + [e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13].join(" "));

  // A close wakes a waiting reader.
  let w = spawn(waiter, net.asArg(), <u64>u);
  for (let i = 0; i < 50; i++) yieldNow();                  // let it reach its wait (either way the answer is EBADF)
  net.closeSync(u);
  println("waiter after close: " + (<i32>w.join()).toString());
  net.closeSync(t); net.closeSync(u2);

  // 1024 descriptors, then EMFILE; all free again.
  let fds = new StaticArray<i32>(1025), n = 0, last = 0;
  for (let i = 0; i < 1025; i++) { let f = net.socketSync(SOCK_STREAM); fds[i] = f; if (f >= 0) n++; else last = f; }
  for (let i = 0; i < 1025; i++) if (fds[i] >= 0) net.closeSync(fds[i]);
  net.infoSync(info);
  println("descriptors: " + n.toString() + " then " + last.toString() + ", open after " + info.sockets.toString());

  // A buffer outside the caller's memory: the kernel fails the call; the machine goes on.
  let s = net.socketSync(SOCK_DGRAM);
  let bad = net.sendto(s, 0x10, 8, LO, 7);
  bad.wait();
  let refused = bad.failed;
  bad.release();
  net.closeSync(s);
  println("bad pointer: call failed " + (refused ? "yes" : "no") + ", machine goes on " + (round(net, buf, from) ? "yes" : "no"));

  net.infoSync(info);
  println("rounds " + (ok ? "ok" : "FAIL") + ", heap +" + grew.toString() + ", ip " + info.ip.toString(16) + " link " + info.link_up.toString());
  heapFree(buf); from.free(); info.free();
  return 0;
}
