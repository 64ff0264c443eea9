// echo.ts: TCP and UDP echo (RFC 862) on one port, through the network machine (aams/net).
//
//   aam run examples/echo.ts --net tap:aam0 --ip 10.0.0.2/24 -- 7      (root; the same with aam boot)
//   aam boot examples/echo.ts --net user --forward 10007:7             (TCP from the host: nc 127.0.0.1 10007)
//
// Every TCP connection gets a task of its own that sends back what it receives until the peer
// closes its side; UDP datagrams go back to their sender one by one. Many connections run at
// once: a task waiting in recv or accept holds no core. Prints "echo: port P" once listening.
import { Task, args, println, eprintln, spawnDetached, heapAlloc, heapFree } from "aam";
import { defineNet, connectNet, NetClient, NetAddr, SOCK_STREAM, SOCK_DGRAM } from "../aams/net";

export function machines(): void { defineNet(); }

// @ts-ignore: decorator
@inline const BUF: u32 = 16384;

// One TCP connection: arg0 the client, arg1 the descriptor.
function serve(t: Task): u64 {
  let net = NetClient.fromArg(t.arg0), fd = <i32>t.arg1;
  let buf = heapAlloc(BUF);
  while (true) {
    let n = net.recvSync(fd, buf, BUF);
    if (n <= 0) break;                                     // 0: the peer closed its side; < 0: reset
    let off = 0;
    while (off < n) {
      let s = net.sendSync(fd, buf + off, <u32>(n - off));
      if (s <= 0) { off = -1; break; }
      off += s;
    }
    if (off < 0) break;
  }
  net.closeSync(fd);
  heapFree(buf);
  return 0;
}

// The UDP side: arg0 the client, arg1 the descriptor.
function datagrams(t: Task): u64 {
  let net = NetClient.fromArg(t.arg0), fd = <i32>t.arg1;
  let buf = heapAlloc(2048), from = NetAddr.alloc();
  while (true) {
    let n = net.recvfromSync(fd, buf, 2048, from, 0);
    if (n < 0) break;
    net.sendtoSync(fd, buf, <u32>n, from.ip, from.port);
  }
  heapFree(buf); from.free();
  return 0;
}

export function main(): i32 {
  let a = args();
  let port = a.length > 1 ? I32.parseInt(a[1]) : 7;
  if (port < 1 || port > 65535) { eprintln("usage: echo.ts [port 1..65535]"); return 2; }
  let net = connectNet(1024);
  let u = net.socketSync(SOCK_DGRAM);
  let r = net.bindSync(u, 0, <u32>port);
  if (r < 0) { eprintln("echo: udp bind: " + r.toString()); return 1; }
  spawnDetached(datagrams, net.asArg(), <u64>u);
  let l = net.socketSync(SOCK_STREAM);
  r = net.bindSync(l, 0, <u32>port);
  if (r == 0) r = net.listenSync(l, 128);
  if (r < 0) { eprintln("echo: tcp listen: " + r.toString()); return 1; }
  println("echo: port " + port.toString());
  let peer = NetAddr.alloc();
  while (true) {
    let c = net.acceptSync(l, peer);
    if (c < 0) { eprintln("echo: accept: " + c.toString()); break; }
    spawnDetached(serve, net.asArg(), <u64>c);
  }
  return 1;
}
