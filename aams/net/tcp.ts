// tcp.ts: PLACEHOLDER of helper C's TCP (branch net-tcp) so that the stack compiles before it is
// merged: the contract's names (/work/net-contract.md "B ↔ C") with no TCP behind them. Every
// segment is dropped; every call answers -ENOSYS (-38). C's real tcp.ts replaces this file on
// merge (conflicts resolved in favour of C's).
export function tcpInput(src: u32, dst: u32, seg: usize, len: u32): void {}
export function tcpTimers(now: f64): f64 { return Infinity; }
export function tcpListen(port: u32, backlog: u32): i32 { return -38; }
export function tcpAccept(l: i32, peer: usize): i32 { return -38; }
export function tcpConnect(ip: u32, port: u32, lport: u32): i32 { return -38; }
export function tcpSend(c: i32, buf: usize, len: u32): i32 { return -38; }
export function tcpRecv(c: i32, buf: usize, len: u32): i32 { return -38; }
export function tcpShutdown(c: i32): i32 { return -38; }
export function tcpClose(c: i32): i32 { return -38; }
export function tcpAbort(c: i32): i32 { return -38; }
export function tcpState(c: i32): i32 { return -38; }
export function tcpStats(out: usize): void {}
