// socket.ts: descriptors of machine "net": the table that maps a small integer (what net.idl's
// tasks take) to a UDP socket record (udp.ts) or a TCP handle (tcp.ts), and the socket calls
// that net.idl's handlers run (machine.ts).
//
// Owns: the descriptor table and each call's dispatch by kind: which calls a kind accepts, which
// errno otherwise. Not: the protocols (udp.ts, tcp*.ts), the igen server (machine.ts).
//
// Locking: the table is under the stack lock. UDP calls run under it (udpRecvfrom takes it
// itself and drops it to wait). TCP calls are entered WITHOUT it (contract: tcp.ts takes and
// drops it around its own waits): the entry is read under the lock, the lock released, then
// tcp.ts is called. A descriptor closed by one task while another is inside a TCP call on it is
// the caller's race, as with POSIX; tcp.ts checks its handles, so the worst case is an error.
//
// Descriptor life (kind):
//  socket(STREAM) → TCP_NEW (value: the port bind gave, 0 none) ─listen / connect→ OPENING
//    (while tcp.ts works, the lock not held; other calls answer EALREADY) → TCP (handle), or
//    back to TCP_NEW when it failed
//  socket(DGRAM)  → UDP (value: the socket record)        accept → a new TCP descriptor
//  close → FREE (TCP: tcpClose; UDP: udpClose, which wakes its readers with -EBADF)
//
// ╒══ FDS (static, FD_MAX × 8 bytes, under the stack lock) ══╕
//  +0 KIND (0 free, 1 TCP_NEW, 2 TCP, 3 UDP, 4 OPENING)   +4 VALUE (port, handle or record)
// Descriptors are FD_BASE .. FD_BASE + FD_MAX − 1 (0..2 are never used: they read as stdio).
import { netLock, netUnlock } from "./stack";
import { udpOpen, udpBind, udpConnect, udpSendto, udpRecvfrom, udpClose } from "./udp";
import { tcpListen, tcpAccept, tcpConnect, tcpSend, tcpRecv, tcpShutdown, tcpClose } from "./tcp";

// @ts-ignore: decorator
@inline export const FD_BASE: i32 = 3;
// @ts-ignore: decorator
@inline export const FD_MAX: i32 = 1024;
// @ts-ignore: decorator
@inline export const SOCK_STREAM: u32 = 1;
// @ts-ignore: decorator
@inline export const SOCK_DGRAM: u32 = 2;

// @ts-ignore: decorator
@inline const FREE: u32 = 0;
// @ts-ignore: decorator
@inline const TCP_NEW: u32 = 1;
// @ts-ignore: decorator
@inline const TCP: u32 = 2;
// @ts-ignore: decorator
@inline const UDP: u32 = 3;
// @ts-ignore: decorator
@inline const OPENING: u32 = 4;

// @ts-ignore: decorator
@inline export const EBADF: i32 = -9;
// @ts-ignore: decorator
@inline export const EINVAL: i32 = -22;
// @ts-ignore: decorator
@inline export const EMFILE: i32 = -24;
// @ts-ignore: decorator
@inline export const ENOTSOCK: i32 = -88;
// @ts-ignore: decorator
@inline export const EPROTOTYPE: i32 = -91;
// @ts-ignore: decorator
@inline export const EOPNOTSUPP: i32 = -95;
// @ts-ignore: decorator
@inline export const EALREADY: i32 = -114;
// @ts-ignore: decorator
@inline export const EISCONN: i32 = -106;
// @ts-ignore: decorator
@inline export const ENOTCONN: i32 = -107;

const FDS = memory.data(FD_MAX * 8);

// The table entry of fd, or 0 for a number outside the table.
// @ts-ignore: decorator
@inline function slot(fd: i32): usize { return fd < FD_BASE || fd >= FD_BASE + FD_MAX ? 0 : FDS + (<usize>(fd - FD_BASE) << 3); }

// A free descriptor set to (kind, value), or EMFILE. Lock held.
function fdNew(kind: u32, value: u32): i32 {
  for (let i = 0; i < FD_MAX; i++) {
    let e = FDS + (<usize>i << 3);
    if (load<u32>(e) == FREE) { store<u32>(e, kind); store<u32>(e + 4, value); return FD_BASE + i; }
  }
  return EMFILE;
}

/** socket(type): SOCK_STREAM or SOCK_DGRAM → a descriptor, -EPROTOTYPE, -EMFILE. */
export function sockOpen(type: u32): i32 {
  if (type != SOCK_STREAM && type != SOCK_DGRAM) return EPROTOTYPE;
  netLock();
  let fd: i32;
  if (type == SOCK_STREAM) fd = fdNew(TCP_NEW, 0);
  else {
    let s = udpOpen();
    fd = fdNew(UDP, <u32>s);
    if (fd < 0) udpClose(s);
  }
  netUnlock();
  return fd;
}

/** bind(fd, ip, port): UDP binds now (port 0: ephemeral); TCP keeps the port for listen/connect. */
export function sockBind(fd: i32, ip: u32, port: u32): i32 {
  let e = slot(fd);
  if (!e) return EBADF;
  netLock();
  let kind = load<u32>(e), r: i32 = 0;
  if (kind == UDP) r = udpBind(<usize>load<u32>(e + 4), ip, port);
  else if (kind == TCP_NEW) { if (port > 65535) r = EINVAL; else store<u32>(e + 4, port); }
  else r = kind == FREE ? EBADF : EINVAL;
  netUnlock();
  return r;
}

// The entry of fd as KIND << 32 | VALUE, read under the lock (FREE for a number outside the
// table). With `opening`, a TCP_NEW entry becomes OPENING in the same hold (listen, connect).
function get(fd: i32, opening: bool = false): u64 {
  let e = slot(fd);
  if (!e) return 0;
  netLock();
  let kind = load<u32>(e), v = load<u32>(e + 4);
  if (opening && kind == TCP_NEW) store<u32>(e, OPENING);
  netUnlock();
  return <u64>kind << 32 | <u64>v;
}
// @ts-ignore: decorator
@inline function kindOf(x: u64): u32 { return <u32>(x >> 32); }
// @ts-ignore: decorator
@inline function valueOf(x: u64): u32 { return <u32>x; }

// After listen/connect on an OPENING entry: h ≥ 0 makes it TCP; a failure puts it back to
// TCP_NEW. A close meanwhile (the entry is no longer OPENING) gets the new handle closed and EBADF.
function opened(fd: i32, port: u32, h: i32): i32 {
  let e = slot(fd);
  netLock();
  let still = load<u32>(e) == OPENING;
  if (still) { store<u32>(e, h >= 0 ? TCP : TCP_NEW); store<u32>(e + 4, h >= 0 ? <u32>h : port); }
  netUnlock();
  if (still) return h < 0 ? h : 0;
  if (h >= 0) tcpClose(h);
  return EBADF;
}

// The errno for a call that needs kind `want` on an entry of kind `kind`.
function wrong(kind: u32, want: u32): i32 {
  if (kind == FREE) return EBADF;
  if (kind == OPENING) return EALREADY;
  if (kind == UDP) return EOPNOTSUPP;
  return want == TCP ? (kind == TCP_NEW ? ENOTCONN : EINVAL) : EISCONN;
}

/** listen(fd, backlog): a TCP descriptor bound to a port becomes a listener. */
export function sockListen(fd: i32, backlog: u32): i32 {
  let x = get(fd, true), kind = kindOf(x), port = valueOf(x);
  if (kind != TCP_NEW) return kind == TCP ? EINVAL : wrong(kind, TCP_NEW);
  if (port == 0) return opened(fd, 0, EINVAL);
  return opened(fd, port, tcpListen(port, backlog));
}

/** accept(fd, peer): waits for a connection on a listener; a new descriptor. */
export function sockAccept(fd: i32, peer: usize): i32 {
  let x = get(fd);
  if (kindOf(x) != TCP) return kindOf(x) == TCP_NEW ? EINVAL : wrong(kindOf(x), TCP);
  let c = tcpAccept(<i32>valueOf(x), peer);
  if (c < 0) return c;
  netLock();
  let nfd = fdNew(TCP, <u32>c);
  netUnlock();
  if (nfd < 0) tcpClose(c);
  return nfd;
}

/** connect(fd, ip, port): TCP opens a connection (blocking until established); UDP sets the
 *  default destination of send. */
export function sockConnect(fd: i32, ip: u32, port: u32): i32 {
  let x = get(fd, true), kind = kindOf(x), v = valueOf(x);
  if (kind == UDP) {
    netLock();
    let r = udpConnect(<usize>v, ip, port);
    netUnlock();
    return r;
  }
  if (kind != TCP_NEW) return wrong(kind, TCP_NEW);
  if (port == 0 || port > 65535) return opened(fd, v, EINVAL);
  return opened(fd, v, tcpConnect(ip, port, v));
}

/** send(fd, buf, n): TCP bytes taken; UDP to the connected peer. */
export function sockSend(fd: i32, buf: usize, n: u32): i32 {
  return sockSendto(fd, buf, n, 0, 0);
}

/** sendto(fd, buf, n, ip, port): UDP to (ip, port) (port 0: the connected peer); on TCP only
 *  without an address (send). */
export function sockSendto(fd: i32, buf: usize, n: u32, ip: u32, port: u32): i32 {
  let x = get(fd), kind = kindOf(x);
  if (kind == UDP) {
    netLock();
    let r = udpSendto(<usize>valueOf(x), buf, n, ip, port);
    netUnlock();
    return r;
  }
  if (kind != TCP) return wrong(kind, TCP);
  if (port != 0) return EISCONN;
  return tcpSend(<i32>valueOf(x), buf, n);
}

/** recv(fd, buf, n, flags) / recvfrom: TCP bytes (0 at EOF); UDP the next datagram (cut to n),
 *  its source at `from` (8 bytes: ip, port) when not 0. flags: MSG_DONTWAIT (UDP only). */
export function sockRecvfrom(fd: i32, buf: usize, n: u32, from: usize, flags: u32): i32 {
  let x = get(fd), kind = kindOf(x);
  if (kind == UDP) return udpRecvfrom(<usize>valueOf(x), buf, n, from, flags);   // a close meanwhile: -EBADF from there
  if (kind != TCP) return wrong(kind, TCP);
  return tcpRecv(<i32>valueOf(x), buf, n);
}

/** shutdown(fd): TCP sends FIN after the queued data. */
export function sockShutdown(fd: i32): i32 {
  let x = get(fd);
  if (kindOf(x) != TCP) return wrong(kindOf(x), TCP);
  return tcpShutdown(<i32>valueOf(x));
}

/** close(fd): the descriptor is free at once; TCP finishes in the background (tcpClose). An
 *  OPENING descriptor is freed too; its listen/connect closes what it opened (opened()). */
export function sockClose(fd: i32): i32 {
  let e = slot(fd);
  if (!e) return EBADF;
  netLock();
  let kind = load<u32>(e), v = load<u32>(e + 4);
  store<u32>(e, FREE); store<u32>(e + 4, 0);
  if (kind == UDP) udpClose(<usize>v);
  netUnlock();
  if (kind == FREE) return EBADF;
  if (kind == TCP) { let r = tcpClose(<i32>v); return r < 0 ? r : 0; }
  return 0;
}

/** Descriptors open now (tests: back to 0 after a run). */
export function sockCount(): u32 {
  netLock();
  let n: u32 = 0;
  for (let i = 0; i < FD_MAX; i++) if (load<u32>(FDS + (<usize>i << 3)) != FREE) n++;
  netUnlock();
  return n;
}
