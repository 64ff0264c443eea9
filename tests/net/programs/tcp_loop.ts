// tcp_loop.ts: TCP over the stack's loopback path, no device and no net machine
// (tests/net/tcp_loop.test.mjs). The program listens and connects to its own addresses (127.0.0.1
// and 10.0.0.2): an echo server task per connection, a client that writes a byte pattern from one
// task and reads the echo back in another, checking every byte. Modes (argv[1]):
//   basic            0 B, 1 B, 1 MB over 127.0.0.1 and 10.0.0.2, then the heap baseline
//   many N           N connections at once, 20 KB each
//   loss D R SEED    1 MB with D/1000 segments dropped and R/1000 reordered (seeded), counters
//   zerowin          a server that does not read for 4 s: probes, no spinning, then 1 MB intact
//   simopen          two connects to each other (simultaneous open)
//   reuse            a new SYN takes over a TIME_WAIT connection of the same 4-tuple
//   refuse           connect to a port nobody listens on: ECONNREFUSED; listen twice: EADDRINUSE;
//                    connect without a route or a link: EHOSTUNREACH
// Each check prints one line; the heap line compares small blocks in use with a baseline taken
// after a warm-up round (TIME_WAIT shortened to 2 × 50 ms by tcpConfigure, and waited out).
import { println, eprintln, coreCount, heapBlocksInUse, heapLargeCount, heapAlloc, heapFree, spawn, Task, Future, WaitGroup, args, sleep } from "aam";
import { netConfigure } from "../../../aams/net/stack";
import { netStart } from "../../../aams/net/engine";
import {
  tcpListen, tcpAccept, tcpConnect, tcpSend, tcpRecv, tcpShutdown, tcpClose, tcpAbort, tcpStats, tcpConfigure, TCP_STATS_WORDS,
} from "../../../aams/net/tcp";

const LOCAL: u32 = 0x0A000002;          // 10.0.0.2
const LO: u32 = 0x7F000001;             // 127.0.0.1
const CHUNK: u32 = 16384;

function blocks(): u64 { let b: u64 = 0; for (let c = 0; c < coreCount(); c++) b += heapBlocksInUse(c); return b; }
// @ts-ignore: decorator
@inline function pat(i: u32, seed: u32): u8 { return <u8>(i * 31 + (i >> 8) + seed); }

/** Echo one connection (arg0 handle, arg1 wait group): read, write back, at EOF shut down, close. */
function echoConn(t: Task): u64 {
  let c = <i32>t.arg0;
  let buf = heapAlloc(CHUNK);
  let total: u64 = 0;
  while (true) {
    let n = tcpRecv(c, buf, CHUNK);
    if (n <= 0) break;
    total += <u64>n;
    let off = 0;
    while (off < n) { let w = tcpSend(c, buf + off, <u32>(n - off)); if (w <= 0) break; off += w; }
  }
  tcpShutdown(c);
  tcpClose(c);
  heapFree(buf);
  WaitGroup.fromArg(t.arg1).done();
  return total;
}

/** Accept arg1 connections on listener arg0, an echo task each; arg2 a wait group for them all. */
function server(t: Task): u64 {
  let l = <i32>t.arg0, n = <u32>t.arg1;
  let peer = heapAlloc(8);
  for (let i: u32 = 0; i < n; i++) {
    let c = tcpAccept(l, peer);
    if (c <= 0) { println("accept failed " + c.toString()); break; }
    spawn(echoConn, <u64>c, t.arg2).release();
  }
  heapFree(peer);
  return 0;
}

/** Write arg1 bytes of the pattern (seed arg2) to connection arg0, then shut down. */
function writer(t: Task): u64 {
  let c = <i32>t.arg0, size = <u32>t.arg1, seed = <u32>t.arg2;
  let buf = heapAlloc(CHUNK);
  let sent: u32 = 0;
  while (sent < size) {
    let n = min<u32>(CHUNK, size - sent);
    for (let i: u32 = 0; i < n; i++) store<u8>(buf + i, pat(sent + i, seed));
    let off: u32 = 0;
    while (off < n) { let w = tcpSend(c, buf + off, n - off); if (w <= 0) { heapFree(buf); println("send " + w.toString() + " after " + sent.toString()); return 1; } off += <u32>w; }
    sent += n;
  }
  tcpShutdown(c);
  heapFree(buf);
  return 0;
}

/** One client connection to ip:port moving `size` bytes: true when the echo is byte-exact. */
function client(ip: u32, port: u32, size: u32, seed: u32): bool {
  let c = tcpConnect(ip, port, 0);
  if (c <= 0) { println("connect failed " + c.toString()); return false; }
  let w = spawn(writer, <u64>c, size, seed);
  let buf = heapAlloc(CHUNK);
  let got: u32 = 0, ok = true;
  while (true) {
    let n = tcpRecv(c, buf, CHUNK);
    if (n < 0) { println("recv " + n.toString()); ok = false; break; }
    if (n == 0) break;
    for (let i: u32 = 0; i < <u32>n; i++) if (load<u8>(buf + i) != pat(got + i, seed)) ok = false;
    got += <u32>n;
  }
  let wr = w.join();
  heapFree(buf);
  tcpClose(c);
  if (!(ok && wr == 0 && got == size)) println("client: got " + got.toString() + " of " + size.toString() + ", writer " + wr.toString() + ", bytes " + (ok ? "same" : "differ"));
  return ok && wr == 0 && got == size;
}

/** Connect from port arg0 >> 16 to 127.0.0.1 port arg0 & 0xffff; the handle or -errno. */
function connectTask(t: Task): u64 { return <u64><u32>tcpConnect(LO, <u32>(t.arg0 & 0xffff), <u32>(t.arg0 >> 16)); }

function clientTask(t: Task): u64 { return client(<u32>(t.arg0 >> 16), <u32>(t.arg0 & 0xffff), <u32>t.arg1, <u32>t.arg2) ? 1 : 0; }

/** `n` connections at once to ip:port, `size` bytes each; how many were byte-exact. */
function round(ip: u32, port: u32, n: u32, size: u32): u32 {
  let l = tcpListen(port, n);
  if (l <= 0) { println("listen failed " + l.toString()); return 0; }
  let wg = WaitGroup.create(n);
  let s = spawn(server, <u64>l, n, wg.asArg());
  let ok: u32 = 0;
  if (n == 1) ok = client(ip, port, size, port) ? 1 : 0;
  else {
    let fs = new StaticArray<u32>(n);
    for (let i: u32 = 0; i < n; i++) fs[i] = <u32>spawn(clientTask, (<u64>ip << 16) | port, size, i).asArg();
    for (let i: u32 = 0; i < n; i++) ok += <u32>Future.fromArg(<u64>fs[i]).join();
  }
  s.join();
  wg.wait();
  wg.dispose();
  tcpClose(l);
  return ok;
}

function stats(): StaticArray<u32> {
  let a = new StaticArray<u32>(TCP_STATS_WORDS);
  tcpStats(changetype<usize>(a));
  return a;
}

const MSL_MS: u32 = 50;
const ST = memory.data(4 * 64);

// After closes: wait until no TCB and no buffer is left (TIME_WAIT is 2 MSL), by what the timers
// free rather than for a fixed time, since a loaded host runs them late: 4 MSL at least, then
// every 100 ms, 30 s at most. Allocates nothing (the heap checks come after it).
function settle(): void {
  sleep(4e6 * <f64>MSL_MS);
  for (let i = 0; i < 300; i++) {
    tcpStats(ST);
    if (load<u32>(ST + 23 * 4) == 0 && load<u32>(ST + 24 * 4) == 0) return;
    sleep(100e6);
  }
}

export function main(): i32 {
  netConfigure(LOCAL, 24, 0);
  netStart();
  tcpConfigure(MSL_MS, 0, 0, 0);
  let a = args();
  let mode = a.length > 1 ? a[1] : "basic";
  if (mode == "basic") {
    // Progress on stderr: a run that hangs shows where (tests/lib/aam.mjs prints both outputs).
    round(LO, 5000, 1, 1000);                              // warm-up: first allocations of each size
    sleep(4e6 * <f64>MSL_MS);
    eprintln("basic: warm-up done");
    let b0 = blocks(), l0 = heapLargeCount();
    let r0 = round(LO, 5001, 1, 0), r1 = round(LO, 5002, 1, 1), r2 = round(LO, 5003, 1, 1 << 20);
    eprintln("basic: 127.0.0.1 done");
    let r3 = round(LOCAL, 5004, 1, 0), r4 = round(LOCAL, 5005, 1, 1), r5 = round(LOCAL, 5006, 1, 1 << 20);
    eprintln("basic: 10.0.0.2 done");
    settle();                                              // TIME_WAIT is 2 MSL
    eprintln("basic: settled");
    let leak = <i64>(blocks() - b0), large = <i64>heapLargeCount() - <i64>l0;
    let s = stats();
    println("lo: 0 B " + (r0 == 1 ? "ok" : "BAD") + ", 1 B " + (r1 == 1 ? "ok" : "BAD") + ", 1 MB " + (r2 == 1 ? "ok" : "BAD"));
    println("own: 0 B " + (r3 == 1 ? "ok" : "BAD") + ", 1 B " + (r4 == 1 ? "ok" : "BAD") + ", 1 MB " + (r5 == 1 ? "ok" : "BAD"));
    println("tcbs " + s[23].toString() + ", buffers " + s[24].toString() + ", heap blocks +" + leak.toString() + ", large +" + large.toString());
    println("segs in " + s[4].toString() + " out " + s[5].toString() + " retrans " + s[6].toString() + " bad " + s[10].toString());
    return 0;
  }
  if (mode == "many") {
    let n = a.length > 2 ? <u32>parseInt(a[2]) : 100;
    let ok = round(LOCAL, 6000, n, 20000);
    settle();
    let s = stats();
    println("many: " + ok.toString() + " of " + n.toString() + " byte-exact, tcbs left " + s[23].toString() + ", buffers " + s[24].toString());
    return 0;
  }
  if (mode == "loss") {
    let d = <u32>parseInt(a[2]), r = <u32>parseInt(a[3]), seed = <u32>parseInt(a[4]);
    tcpConfigure(MSL_MS, d, r, seed);
    let ok = round(LO, 7000, 1, 1 << 20);
    tcpConfigure(MSL_MS, 0, 0, 0);
    // A FIN or its ACK may have been dropped: the closing side resends it after a (backed-off)
    // RTO, so wait for the last TCB to go, at most 30 s.
    let s = stats();
    for (let i = 0; i < 300 && s[23] != 0; i++) { sleep(100e6); s = stats(); }
    println("loss: 1 MB " + (ok == 1 ? "ok" : "BAD") + ", dropped " + s[20].toString() + ", reordered " + s[21].toString() +
      ", retrans " + s[6].toString() + ", rto " + s[7].toString() + ", fast " + s[8].toString() + ", partial " + s[9].toString() +
      ", ooo " + s[14].toString() + ", tcbs left " + s[23].toString() + ", resets in " + s[3].toString() + " out " + s[11].toString() + ", challenge " + s[16].toString() + ", oow " + s[17].toString());
    return 0;
  }
  if (mode == "zerowin") {
    // The server accepts and does not read for 4 s: the client fills both rings, sees a zero
    // window and probes; it must not spin (few segments in the last 2 s), and the data must all
    // arrive once the server reads.
    let l = tcpListen(5100, 1);
    let c = tcpConnect(LO, 5100, 0);
    let peer = heapAlloc(8);
    let a = tcpAccept(l, peer);
    let w = spawn(writer, <u64>c, 1 << 20, 5);
    sleep(2e9);
    let s1 = stats();
    sleep(2e9);
    let s2 = stats();
    let buf = heapAlloc(CHUNK);
    let got: u32 = 0, same = true;
    while (true) {
      let n = tcpRecv(a, buf, CHUNK);
      if (n <= 0) break;
      for (let i: u32 = 0; i < <u32>n; i++) if (load<u8>(buf + i) != pat(got + i, 5)) same = false;
      got += <u32>n;
    }
    let wr = w.join();
    tcpClose(a); tcpClose(c); tcpClose(l);
    heapFree(buf); heapFree(peer);
    settle();
    let s3 = stats();
    let quiet = s2[5] - s1[5];
    println("zero window: probes " + (s2[18] > 0 ? "sent" : "NONE") + ", segments in 2 s " + (quiet <= 40 ? "<= 40" : quiet.toString()) +
      ", then 1 MB " + (got == 1 << 20 && same && wr == 0 ? "intact" : "BAD") + ", tcbs left " + s3[23].toString() + ", buffers " + s3[24].toString());
    return 0;
  }
  if (mode == "reuse") {
    // The server closes first and lingers in TIME_WAIT (MSL 60 s here); the client comes back
    // from the same port: its new SYN (a higher sequence number) takes the TIME_WAIT slot over.
    tcpConfigure(60000, 0, 0, 0);
    let l = tcpListen(5200, 4);
    let peer = heapAlloc(8), buf = heapAlloc(64);
    let c = tcpConnect(LO, 5200, 40000);
    let a = tcpAccept(l, peer);
    tcpClose(a);
    let eof = tcpRecv(c, buf, 64);
    tcpClose(c);
    sleep(50e6);
    let before = stats();
    let c2 = tcpConnect(LO, 5200, 40000);
    let a2 = c2 > 0 ? tcpAccept(l, peer) : -1;
    let ok = a2 > 0 && tcpSend(c2, buf, 10) == 10 && tcpRecv(a2, buf, 64) == 10;
    let after = stats();
    println("reuse: eof " + eof.toString() + ", second connection " + (ok ? "works" : "FAILED") + ", TIME_WAIT reuses " + (after[22] - before[22]).toString());
    tcpAbort(a2); tcpAbort(c2); tcpClose(l);
    heapFree(peer); heapFree(buf);
    return 0;
  }
  if (mode == "simopen") {
    // Simultaneous open (RFC 9293 §3.5, figure 7): two connects to each other's port; their first
    // SYNs are dropped by the loss hook so that both ends are in SYN_SENT when the retransmitted
    // SYNs cross.
    tcpConfigure(MSL_MS, 1000, 0, 1);
    let fa = spawn(connectTask, (<u64>5301 << 16) | 5302), fb = spawn(connectTask, (<u64>5302 << 16) | 5301);
    sleep(300e6);
    tcpConfigure(MSL_MS, 0, 0, 0);
    let ca = <i32>fa.join(), cb = <i32>fb.join();
    let buf = heapAlloc(64);
    store<u32>(buf, 0x61626364);
    let ok = ca > 0 && cb > 0 && tcpSend(ca, buf, 4) == 4 && tcpRecv(cb, buf + 8, 8) == 4 && load<u32>(buf + 8) == 0x61626364 &&
      tcpSend(cb, buf, 4) == 4 && tcpRecv(ca, buf + 16, 8) == 4;
    if (ca > 0) { tcpShutdown(ca); tcpClose(ca); }
    if (cb > 0) { tcpShutdown(cb); tcpClose(cb); }
    heapFree(buf);
    sleep(4e6 * <f64>MSL_MS);
    let s = stats();
    println("simultaneous open: " + (ok ? "both connected, data both ways" : "FAILED " + ca.toString() + " " + cb.toString()) + ", tcbs left " + s[23].toString());
    return 0;
  }
  if (mode == "refuse") {
    let c = tcpConnect(LO, 5999, 0);
    let l = tcpListen(5998, 4);
    let l2 = tcpListen(5998, 4);
    tcpClose(l);
    let u1 = tcpConnect(0xC0A84D01, 80, 0);                  // 192.168.77.1: off-link, no gateway
    let u2 = tcpConnect(0x0A000063, 80, 0);                  // 10.0.0.99: on-link, no device
    println("refuse: connect " + c.toString() + ", listen twice " + l2.toString() + ", no route " + u1.toString() + ", no link " + u2.toString());
    return 0;
  }
  println("unknown mode " + mode);
  return 2;
}
