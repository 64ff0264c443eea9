// tcp_client.ts: our TCP as the client of another stack (Linux in a network namespace), through
// the net machine: connect to argv[1]:argv[2], write argv[3] bytes of a pattern from one task
// while another reads the echo back, then shut down and read to EOF. argv[4] connections run at
// once (default 1). Prints one line: "client: N of N byte-exact" (or why not).
//   aam run tests/net/programs/tcp_client.ts --net tap:T --ip 10.0.9.2/24 -- 10.0.9.1 7 1000000 4
import { Task, Future, args, println, eprintln, spawn, heapAlloc, heapFree } from "aam";
import { defineNet, connectNet, NetClient, NetInfo, SOCK_STREAM } from "../../../aams/net";
import { ipParse } from "../../../aams/net/checksum";

export function machines(): void { defineNet(); }

const CHUNK: u32 = 16384;
// @ts-ignore: decorator
@inline function pat(i: u32, seed: u32): u8 { return <u8>(i * 31 + (i >> 8) + seed); }

/** arg0 the client, arg1 fd, arg2 size | seed << 32: write the pattern, then shut down. */
function writer(t: Task): u64 {
  let net = NetClient.fromArg(t.arg0), fd = <i32>t.arg1, size = <u32>t.arg2, seed = <u32>(t.arg2 >> 32);
  let buf = heapAlloc(CHUNK);
  let sent: u32 = 0;
  while (sent < size) {
    let n = min<u32>(CHUNK, size - sent);
    for (let i: u32 = 0; i < n; i++) store<u8>(buf + i, pat(sent + i, seed));
    let off: u32 = 0;
    while (off < n) { let w = net.sendSync(fd, buf + off, n - off); if (w <= 0) { heapFree(buf); return 1; } off += <u32>w; }
    sent += n;
  }
  net.shutdownSync(fd);
  heapFree(buf);
  return 0;
}

/** arg0 the client, arg1 ip << 16 | port, arg2 size | seed << 32: 1 when the echo was byte-exact. */
function one(t: Task): u64 {
  let net = NetClient.fromArg(t.arg0);
  let ip = <u32>(t.arg1 >> 16), port = <u32>(t.arg1 & 0xffff), size = <u32>t.arg2, seed = <u32>(t.arg2 >> 32);
  let fd = net.socketSync(SOCK_STREAM);
  let r = net.connectSync(fd, ip, port);
  if (r < 0) { println("connect: " + r.toString()); net.closeSync(fd); return 0; }
  let w = spawn(writer, t.arg0, <u64>fd, t.arg2);
  let buf = heapAlloc(CHUNK);
  let got: u32 = 0, ok = true;
  while (true) {
    let n = net.recvSync(fd, buf, CHUNK);
    if (n < 0) { println("recv: " + n.toString()); ok = false; break; }
    if (n == 0) break;
    for (let i: u32 = 0; i < <u32>n; i++) if (load<u8>(buf + i) != pat(got + i, seed)) ok = false;
    got += <u32>n;
  }
  let wr = w.join();
  heapFree(buf);
  net.closeSync(fd);
  if (got != size) println("got " + got.toString() + " of " + size.toString());
  return ok && wr == 0 && got == size ? 1 : 0;
}

export function main(): i32 {
  let a = args();
  if (a.length < 4) { println("usage: tcp_client.ts IP PORT BYTES [CONNECTIONS]"); return 2; }
  let ip = ipParse(a[1]), port = <u32>I32.parseInt(a[2]), size = <u32>I32.parseInt(a[3]);
  let n = a.length > 4 ? <u32>I32.parseInt(a[4]) : 1;
  if (ip < 0) { println("bad address"); return 2; }
  let net = connectNet(1024);
  let fs = new StaticArray<u64>(n);
  for (let i: u32 = 0; i < n; i++) fs[i] = spawn(one, net.asArg(), (<u64>ip << 16) | port, <u64>size | (<u64>i << 32)).asArg();
  let ok: u32 = 0;
  for (let i: u32 = 0; i < n; i++) ok += <u32>Future.fromArg(fs[i]).join();
  println("client: " + ok.toString() + " of " + n.toString() + " byte-exact");
  let info = NetInfo.alloc();                               // TCP's counters to stderr (TCP.md "Counters")
  net.infoSync(info);
  let tc = info.tcp;
  eprintln("tcp: segs in " + load<u32>(tc + 16).toString() + " out " + load<u32>(tc + 20).toString() + " retrans " + load<u32>(tc + 24).toString() +
    " rto " + load<u32>(tc + 28).toString() + " fast " + load<u32>(tc + 32).toString() + " ooo " + load<u32>(tc + 56).toString() +
    " dupacks " + load<u32>(tc + 60).toString() + " oow " + load<u32>(tc + 68).toString() + " bad " + load<u32>(tc + 40).toString());
  info.free();
  return ok == n ? 0 : 1;
}
