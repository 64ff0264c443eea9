// client.ts: our stack as the client of a Linux server (tests/net/linux_client.test.mjs; the
// guest side of `aam bench net` does not use it). argv: MODE IP PORT [BYTES]; the data is a
// pattern (byte i is i mod 251) so that every byte is checked without a copy of it.
//   echo IP PORT BYTES   connect; one task sends BYTES while main reads the echo back and checks
//                        it; then shutdown, read to EOF, close:
//                        "client echo bytes N received M errors E"
//   send IP PORT BYTES   connect, send BYTES, shutdown, read to EOF, close:
//                        "client send bytes N"
//   recv IP PORT         connect, read to EOF checking the pattern, close:
//                        "client recv received M errors E"
//   connect IP PORT      connect only: "client connect R" (R: 0, or -111 refused, -110, -113)
// Every line but connect's ends "heap +H": heap bytes in use after close minus before the socket
// (our side closed first in echo and send mode, so its connection may still be in TIME_WAIT).
import { Task, Future, args, println, spawn, heapAlloc, heapFree, heapBytesInUse, coreCount } from "aam";
import { defineNet, connectNet, NetClient, ipParse, SOCK_STREAM } from "../../../aams/net/index";

export function machines(): void { defineNet(); }

const CLIENT = memory.data(8);
function net(): NetClient { return changetype<NetClient>(load<usize>(CLIENT)); }
const PIECE: u32 = 65536;
// PAT[i] = i mod 251: a heap block (a call's buffer must be memory of the calling machine, which
// static data is not), its address in static data, filled by main.
const PATP = memory.data(8);
// @ts-ignore: decorator
@inline function pat(): usize { return load<usize>(PATP); }

function heap(): u64 { let h: u64 = 0; for (let c = 0; c < coreCount(); c++) h += heapBytesInUse(c); return h; }

function sendAll(fd: i32, bytes: u64): u64 {       // the pattern from offset 0; bytes taken
  let sent: u64 = 0, n = net();
  while (sent < bytes) {
    let k = bytes - sent < PIECE ? <u32>(bytes - sent) : PIECE;
    let w = n.sendSync(fd, pat() + <usize>(sent % 251), k);
    if (w <= 0) break;
    sent += <u64>w;
  }
  return sent;
}

function sender(t: Task): u64 {
  let fd = <i32>t.arg0, sent = sendAll(fd, t.arg1);
  net().shutdownSync(fd);
  return sent;
}

// Reads to EOF; checks the pattern when `check`; returns received, counts mismatching pieces in ERR.
const ERR = memory.data(8);
function drain(fd: i32, check: bool): u64 {
  let buf = heapAlloc(PIECE), got: u64 = 0, n = net();
  while (true) {
    let r = n.recvSync(fd, buf, PIECE);
    if (r <= 0) { if (r < 0) println("client recv " + r.toString()); break; }
    if (check && memory.compare(buf, pat() + <usize>(got % 251), <usize>r) != 0) store<u64>(ERR, load<u64>(ERR) + 1);
    got += <u64>r;
  }
  heapFree(buf);
  return got;
}

export function main(): i32 {
  let a = args();
  if (a.length < 4) { println("usage: client.ts echo|send|recv|connect IP PORT [BYTES]"); return 2; }
  store<usize>(PATP, heapAlloc(65536 + 251));
  for (let i = 0; i < 65536 + 251; i++) store<u8>(pat() + i, <u8>(i % 251));
  let mode = a[1], ip = ipParse(a[2]), port = <u32>I32.parseInt(a[3]);
  let bytes: u64 = a.length > 4 ? U64.parseInt(a[4]) : 0;
  store<usize>(CLIENT, changetype<usize>(connectNet(64)));
  let n = net();
  let line = "client " + mode + " ";                // built before the heap baseline is read
  let h0 = heap();
  let fd = n.socketSync(SOCK_STREAM);
  let r = n.connectSync(fd, <u32>ip, port);
  if (mode == "connect" || r != 0) {
    n.closeSync(fd);
    println("client connect " + r.toString());
    return r == 0 || mode == "connect" ? 0 : 1;
  }
  let sent: u64 = 0, got: u64 = 0;
  if (mode == "echo") {
    let f = spawn(sender, <u64>fd, bytes);
    got = drain(fd, true);
    sent = f.join();
  } else if (mode == "send") {
    sent = sendAll(fd, bytes);
    n.shutdownSync(fd);
    drain(fd, false);
  } else {
    got = drain(fd, true);
  }
  n.closeSync(fd);
  let grew = <i64>heap() - <i64>h0;                  // before the line's strings are built
  let errors = load<u64>(ERR).toString();
  if (mode == "echo") println(line + "bytes " + sent.toString() + " received " + got.toString() + " errors " + errors + " heap +" + grew.toString());
  else if (mode == "send") println(line + "bytes " + sent.toString() + " heap +" + grew.toString());
  else println(line + "received " + got.toString() + " errors " + errors + " heap +" + grew.toString());
  return 0;
}
