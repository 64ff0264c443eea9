// server.ts: the guest of the hostile-input tests (tests/net/linux_hostile.test.mjs): TCP and UDP
// echo on PORT (argv[1], default 7) like examples/echo.ts, plus a control port, UDP 9, that
// answers "heap" with "heap N" (N: heap bytes in use, summed over every core) and "sockets" with
// "sockets N" (descriptors open, from net.info) — so a test reads the guest's heap from outside
// while it runs, before and after its connections, without stopping it.
// The answers are built in a static buffer: a query allocates nothing (a string would stay
// allocated and move the heap it measures).
import { Task, Signal, args, println, spawnDetached, heapAlloc, heapFree, heapBytesInUse, coreCount } from "aam";
import { defineNet, connectNet, NetClient, NetAddr, NetInfo, SOCK_STREAM, SOCK_DGRAM } from "../../../aams/net/index";

export function machines(): void { defineNet(); }

const CLIENT = memory.data(8);                     // shared by every task (module-level lets are per core)
function net(): NetClient { return changetype<NetClient>(load<usize>(CLIENT)); }
const BUF = 16384;

function conn(t: Task): u64 {                      // one TCP connection: echo until EOF, then close
  let fd = <i32>t.arg0, n = net(), buf = heapAlloc(BUF);
  while (true) {
    let r = n.recvSync(fd, buf, BUF);
    if (r <= 0) break;
    let off = 0;
    while (off < r) {
      let w = n.sendSync(fd, buf + off, <u32>(r - off));
      if (w <= 0) { off = -1; break; }
      off += w;
    }
    if (off < 0) break;
  }
  n.closeSync(fd);
  heapFree(buf);
  return 0;
}

function tcp(t: Task): u64 {                       // the accept loop
  let n = net(), l = n.socketSync(SOCK_STREAM), peer = NetAddr.alloc();
  if (l < 0 || n.bindSync(l, 0, <u32>t.arg0) != 0 || n.listenSync(l, 128) != 0) { println("server: tcp listen failed"); return 1; }
  while (true) {
    let c = n.acceptSync(l, peer);
    if (c >= 0) spawnDetached(conn, <u64>c);
  }
  return 0;
}

function udp(t: Task): u64 {                       // UDP echo
  let n = net(), fd = n.socketSync(SOCK_DGRAM), buf = heapAlloc(2048), from = NetAddr.alloc();
  if (fd < 0 || n.bindSync(fd, 0, <u32>t.arg0) != 0) { println("server: udp bind failed"); return 1; }
  while (true) {
    let r = n.recvfromSync(fd, buf, 2048, from, 0);
    if (r >= 0) n.sendtoSync(fd, buf, <u32>r, from.ip, from.port);
  }
  return 0;
}

// "word N" into out; its length.
function answer(out: usize, word: string, v: u64): u32 {
  let k: u32 = 0;
  for (let i = 0; i < word.length; i++) store<u8>(out + k++, <u8>word.charCodeAt(i));
  store<u8>(out + k++, 0x20);
  let digits = memory.data(24), d = 0;
  do { store<u8>(digits + d++, <u8>(0x30 + v % 10)); v /= 10; } while (v > 0);
  while (d > 0) store<u8>(out + k++, load<u8>(digits + --d));
  return k;
}

function control(t: Task): u64 {                   // UDP 9: "heap", "sockets"
  let n = net(), fd = n.socketSync(SOCK_DGRAM), buf = heapAlloc(64), out = heapAlloc(64), from = NetAddr.alloc(), info = NetInfo.alloc();
  if (fd < 0 || n.bindSync(fd, 0, 9) != 0) { println("server: control bind failed"); return 1; }
  while (true) {
    let r = n.recvfromSync(fd, buf, 64, from, 0);
    if (r < 4) continue;
    let k: u32 = 0;
    if (load<u32>(buf) == 0x70616568) {            // "heap"
      let h: u64 = 0;
      for (let c = 0; c < coreCount(); c++) h += heapBytesInUse(c);
      k = answer(out, "heap", h);
    } else if (load<u32>(buf) == 0x6b636f73) {     // "sock"
      n.infoSync(info);
      k = answer(out, "sockets", info.sockets);
    } else continue;
    n.sendtoSync(fd, out, k, from.ip, from.port);
  }
  return 0;
}

export function main(): i32 {
  let a = args();
  let port: u64 = a.length > 1 ? <u64>I32.parseInt(a[1]) : 7;
  store<usize>(CLIENT, changetype<usize>(connectNet(1024)));
  spawnDetached(tcp, port);
  spawnDetached(udp, port);
  spawnDetached(control);
  println("server: echo on " + port.toString() + ", control on udp 9");
  Signal.create(0).wait();                          // serve until the test kills the system
  return 0;
}
