// udp.ts: UDP (RFC 768, RFC 1122 §4.1): sockets bound to ports, each with a bounded queue of
// received datagrams, and datagrams sent.
//
// Owns: the UDP socket records and the list of bound ones, udpInput, udpOpen/Bind/Connect/
// Sendto/Recvfrom/Close. Not: descriptors (socket.ts maps an fd to a socket record), IP (ip.ts),
// the port-unreachable message (icmp.ts).
//
// Rules: a datagram is delivered to the socket bound to its destination port (and to its
// destination address, or to any); the checksum is checked unless it is 0 (RFC 768: none sent);
// a length field below 8 or above the IP payload is dropped (UDP_BAD); no socket: an ICMP port
// unreachable unless it was a broadcast (UDP_NO_PORT); a full queue drops the new datagram
// (UDP_QUEUE_DROPS, and the socket's own DROPS). We always send a checksum.
//
// Receiving (a task in udpRecvfrom, the lock NOT held on entry):
//  1. take the lock; a datagram queued → unlink it, unlock, copy it out, free it; return;
//  2. the socket closed → unlock, -EBADF; DONTWAIT → unlock, -EAGAIN;
//  3. USERS++, unlock, wait on READY (one unit per datagram queued; a unit may be spare: a
//     reader that finds the queue empty waits again), take the lock, USERS--;
//  4. closed and USERS == 0 → this reader frees the record (close left it to the last one);
//     go to 1.
// Closing (udpClose, lock held): unlink from the bound list, free the queue, mark CLOSED; with
// no reader inside, free the record now; else signal each reader once (step 4 frees it).
//
// ╒══ socket record (64 bytes, heap; every word under the stack lock) ═══════════════════╕
//  +0 PORT local port (0: not bound)   +4 ADDR local address (0: any)
//  +8 HEAD first queued datagram       +12 TAIL last
//  +16 COUNT datagrams queued          +20 BYTES their payload bytes
//  +24 READY Signal                    +28 USERS readers inside step 3
//  +32 CLOSED                          +36 NEXT bound socket
//  +40 DROPS                           +44 PEER_IP  +48 PEER_PORT (connect: send's default)
// ╒══ queued datagram (heap) ══╕  +0 next  +4 source IP  +8 source port  +12 length  +16 data
import { Signal, heapAlloc, heapFree } from "aam";
import { get16, put16, csumPartial, csumFold, pseudoSum } from "./checksum";
import { count, Stat, netLock, netUnlock, netEphemeral } from "./stack";
import { ipSend, ipSource, PROTO_UDP } from "./ip";
import { icmpUnreachable } from "./icmp";

// @ts-ignore: decorator
@inline export const UDP_QUEUE_MAX: u32 = 64;          // datagrams queued per socket
// @ts-ignore: decorator
@inline export const UDP_QUEUE_BYTES: u32 = 256 * 1024;
// @ts-ignore: decorator
@inline export const UDP_MAX_PAYLOAD: u32 = 1472;       // the 1500-byte MTU − 20 (IP) − 8: no fragments
// @ts-ignore: decorator
@inline const EBADF: i32 = -9;
// @ts-ignore: decorator
@inline const EAGAIN: i32 = -11;
// @ts-ignore: decorator
@inline const EINVAL: i32 = -22;
// @ts-ignore: decorator
@inline const EMSGSIZE: i32 = -90;
// @ts-ignore: decorator
@inline const EADDRINUSE: i32 = -98;
// @ts-ignore: decorator
@inline const EDESTADDRREQ: i32 = -89;

// @ts-ignore: decorator
@inline const S_PORT: usize = 0;
// @ts-ignore: decorator
@inline const S_ADDR: usize = 4;
// @ts-ignore: decorator
@inline const S_HEAD: usize = 8;
// @ts-ignore: decorator
@inline const S_TAIL: usize = 12;
// @ts-ignore: decorator
@inline const S_COUNT: usize = 16;
// @ts-ignore: decorator
@inline const S_BYTES: usize = 20;
// @ts-ignore: decorator
@inline const S_READY: usize = 24;
// @ts-ignore: decorator
@inline const S_USERS: usize = 28;
// @ts-ignore: decorator
@inline const S_CLOSED: usize = 32;
// @ts-ignore: decorator
@inline const S_NEXT: usize = 36;
// @ts-ignore: decorator
@inline const S_DROPS: usize = 40;
// @ts-ignore: decorator
@inline const S_PEER_IP: usize = 44;
// @ts-ignore: decorator
@inline const S_PEER_PORT: usize = 48;
// @ts-ignore: decorator
@inline const SOCKET: usize = 64;

// The first bound socket (static, under the lock); the scratch a datagram is built in.
const BOUND = memory.data(4);
const OUTBUF = memory.data(1500);

/** MSG_DONTWAIT (Linux's value): recvfrom answers -EAGAIN instead of waiting. */
// @ts-ignore: decorator
@inline export const MSG_DONTWAIT: u32 = 0x40;

/** The bound socket for (addr, port), or 0. */
function lookup(addr: u32, port: u32): usize {
  for (let s = <usize>load<u32>(BOUND); s; s = <usize>load<u32>(s + S_NEXT)) {
    if (load<u32>(s + S_PORT) == port) {
      let a = load<u32>(s + S_ADDR);
      if (a == 0 || a == addr) return s;
    }
  }
  return 0;
}

/** A new, unbound socket (lock held or not: nothing shared is touched). */
export function udpOpen(): usize {
  let s = heapAlloc(SOCKET);
  memory.fill(s, 0, SOCKET);
  store<u32>(s + S_READY, changetype<u32>(Signal.create(0)));
  return s;
}

/** Binds `s` to (addr, port); port 0 picks a free ephemeral port. 0, -EINVAL (bound already,
 *  port > 65535), -EADDRINUSE. Lock held. */
export function udpBind(s: usize, addr: u32, port: u32): i32 {
  if (load<u32>(s + S_PORT) != 0 || port > 65535) return EINVAL;
  if (port == 0) {
    let tries = 0;
    do { port = netEphemeral(); } while (lookup(0, port) != 0 && ++tries < 16384);
    if (tries >= 16384) return EADDRINUSE;
  } else {
    for (let o = <usize>load<u32>(BOUND); o; o = <usize>load<u32>(o + S_NEXT)) {
      if (load<u32>(o + S_PORT) == port && (addr == 0 || load<u32>(o + S_ADDR) == 0 || load<u32>(o + S_ADDR) == addr)) return EADDRINUSE;
    }
  }
  store<u32>(s + S_PORT, port);
  store<u32>(s + S_ADDR, addr);
  store<u32>(s + S_NEXT, load<u32>(BOUND));
  store<u32>(BOUND, <u32>s);
  return 0;
}

/** Sets the default destination of send (connect on a datagram socket). Lock held. */
export function udpConnect(s: usize, ip: u32, port: u32): i32 {
  if (port == 0 || port > 65535) return EINVAL;
  store<u32>(s + S_PEER_IP, ip);
  store<u32>(s + S_PEER_PORT, port);
  return 0;
}

/** Sends `len` bytes at `buf` to (ip, port), binding `s` first if it is not; port 0: the
 *  connected peer. Bytes sent, or -errno (EMSGSIZE above 1472, EDESTADDRREQ, IP's). Lock held. */
export function udpSendto(s: usize, buf: usize, len: u32, ip: u32, port: u32): i32 {
  if (port == 0) { ip = load<u32>(s + S_PEER_IP); port = load<u32>(s + S_PEER_PORT); if (port == 0) return EDESTADDRREQ; }
  if (port > 65535) return EINVAL;
  if (len > UDP_MAX_PAYLOAD) return EMSGSIZE;
  if (load<u32>(s + S_PORT) == 0) { let r = udpBind(s, 0, 0); if (r < 0) return r; }
  let u = OUTBUF, ulen = 8 + len;
  put16(u, load<u32>(s + S_PORT)); put16(u + 2, port); put16(u + 4, ulen); store<u16>(u + 6, 0);
  memory.copy(u + 8, buf, len);
  let c = csumFold(csumPartial(u, ulen, pseudoSum(ipSource(ip), ip, PROTO_UDP, ulen)));
  put16(u + 6, c == 0 ? 0xFFFF : c);                   // 0 means "no checksum": send its other form
  let r = ipSend(ip, PROTO_UDP, u, ulen);
  if (r < 0) return r;
  count(Stat.UDP_OUT);
  return <i32>len;
}

/** A received UDP datagram (`len` bytes of IP payload at `u`; lock held). */
export function udpInput(src: u32, dst: u32, u: usize, len: u32, bcast: bool, ip: usize): void {
  count(Stat.UDP_IN);
  if (len < 8) { count(Stat.UDP_BAD); return; }
  let ulen = get16(u + 4);
  if (ulen < 8 || ulen > len) { count(Stat.UDP_BAD); return; }
  if (load<u16>(u + 6) != 0 && csumFold(csumPartial(u, ulen, pseudoSum(src, dst, PROTO_UDP, ulen))) != 0) { count(Stat.UDP_BAD); return; }
  let sport = get16(u), dport = get16(u + 2);
  let s = lookup(dst, dport);
  if (!s) {
    count(Stat.UDP_NO_PORT);
    if (!bcast) icmpUnreachable(ip, 3);
    return;
  }
  let n = ulen - 8;
  if (load<u32>(s + S_COUNT) >= UDP_QUEUE_MAX || load<u32>(s + S_BYTES) + n > UDP_QUEUE_BYTES) {
    count(Stat.UDP_QUEUE_DROPS);
    store<u32>(s + S_DROPS, load<u32>(s + S_DROPS) + 1);
    return;
  }
  let d = heapAlloc(16 + <usize>n);
  store<u32>(d, 0); store<u32>(d + 4, src); store<u32>(d + 8, sport); store<u32>(d + 12, n);
  memory.copy(d + 16, u + 8, n);
  let tail = <usize>load<u32>(s + S_TAIL);
  if (tail) store<u32>(tail, <u32>d); else store<u32>(s + S_HEAD, <u32>d);
  store<u32>(s + S_TAIL, <u32>d);
  store<u32>(s + S_COUNT, load<u32>(s + S_COUNT) + 1);
  store<u32>(s + S_BYTES, load<u32>(s + S_BYTES) + n);
  changetype<Signal>(load<u32>(s + S_READY)).signal();
}

// Frees the record and its signal (no reader inside, lock held).
function destroy(s: usize): void {
  changetype<Signal>(load<u32>(s + S_READY)).dispose();
  heapFree(s);
}

/** Steps 1–4: the next datagram into [buf, +cap) (a longer one is cut to cap; the rest is
 *  lost, as recvfrom(2) without MSG_TRUNC), its source at `from` (ip u32, port u32) when not 0.
 *  Bytes copied, -EBADF (closed meanwhile), -EAGAIN (MSG_DONTWAIT and none queued). Takes and
 *  drops the lock itself; blocks the calling task only. */
export function udpRecvfrom(s: usize, buf: usize, cap: u32, from: usize, flags: u32): i32 {
  netLock();
  while (true) {
    let d = <usize>load<u32>(s + S_HEAD);
    if (d) {                                                                         // 1
      let next = load<u32>(d);
      store<u32>(s + S_HEAD, next);
      if (!next) store<u32>(s + S_TAIL, 0);
      let n = load<u32>(d + 12);
      store<u32>(s + S_COUNT, load<u32>(s + S_COUNT) - 1);
      store<u32>(s + S_BYTES, load<u32>(s + S_BYTES) - n);
      netUnlock();
      let m = min(n, cap);
      memory.copy(buf, d + 16, m);
      if (from) { store<u32>(from, load<u32>(d + 4)); store<u32>(from + 4, load<u32>(d + 8)); }
      heapFree(d);
      return <i32>m;
    }
    if (load<u32>(s + S_CLOSED) || (flags & MSG_DONTWAIT)) {                          // 2
      let closed = load<u32>(s + S_CLOSED) != 0;
      netUnlock();
      return closed ? EBADF : EAGAIN;
    }
    store<u32>(s + S_USERS, load<u32>(s + S_USERS) + 1);                              // 3
    let ready = changetype<Signal>(load<u32>(s + S_READY));
    netUnlock();
    ready.wait();
    netLock();
    let users = load<u32>(s + S_USERS) - 1;
    store<u32>(s + S_USERS, users);
    if (load<u32>(s + S_CLOSED) && users == 0) { destroy(s); netUnlock(); return EBADF; }   // 4
    if (load<u32>(s + S_CLOSED)) { netUnlock(); return EBADF; }
  }
  return 0;
}

/** Closes `s` (see above). Lock held. */
export function udpClose(s: usize): void {
  let prev = BOUND;
  for (let o = <usize>load<u32>(BOUND); o; o = <usize>load<u32>(o + S_NEXT)) {
    if (o == s) { store<u32>(prev, load<u32>(o + S_NEXT)); break; }
    prev = o + S_NEXT;
  }
  for (let d = <usize>load<u32>(s + S_HEAD); d;) { let n = <usize>load<u32>(d); heapFree(d); d = n; }
  store<u32>(s + S_HEAD, 0); store<u32>(s + S_TAIL, 0); store<u32>(s + S_COUNT, 0); store<u32>(s + S_BYTES, 0);
  store<u32>(s + S_CLOSED, 1);
  let users = load<u32>(s + S_USERS);
  if (users == 0) destroy(s);
  else changetype<Signal>(load<u32>(s + S_READY)).signal(<i32>users);
}

/** The local port of `s` (0: unbound). Lock held. */
export function udpPort(s: usize): u32 { return load<u32>(s + S_PORT); }
/** Datagrams `s` dropped because its queue was full. Lock held. */
export function udpDrops(s: usize): u32 { return load<u32>(s + S_DROPS); }
