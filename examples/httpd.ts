// httpd.ts: a small HTTP/1.1 server (RFC 9112) on the network machine (aams/net): a fixed page
// at `/`, and with a disk attached the files of its FAT volume (aams/fs) at their paths.
//
//   aam boot examples/httpd.ts --net user --forward 18080:80       then: curl -s 127.0.0.1:18080/
//   aam run examples/httpd.ts --net tap:aam0 --ip 10.0.0.2/24 --disk site.img -- 8080   (root)
//
// One task per connection. A request is read until its blank line (a request may arrive in
// pieces, or several at once: pipelining); it is answered in order, then the bytes after it are
// the next request. Keep-alive is the default (HTTP/1.1); `Connection: close` or HTTP/1.0
// without `Connection: keep-alive` closes after the response. Answers: 200 (GET, HEAD), 400 (a
// request line or header that does not parse, a header block above 8 KiB, a body we cannot
// delimit: Transfer-Encoding), 404, 405 (another method), 505 (not HTTP/1.x); 400 and 505 close
// the connection. A request's body (Content-Length) is read and ignored.
//
// Nothing here allocates per request except the connection's two buffers and what fs calls
// return: strings are never freed (docs/API.md conventions), so responses are assembled as
// bytes with put()/putNum(), never as strings.
import { Task, args, println, eprintln, spawnDetached, heapAlloc, heapFree } from "aam";
import { defineNet, connectNet, NetClient, NetAddr, SOCK_STREAM } from "../aams/net";
import { defineDiskFs, connectFs, FsClient, FsStat, FS_O_RDONLY } from "../aams/fs";
import { BlockClient } from "../aams/block/index";

export function machines(): void {
  defineNet();
  defineDiskFs();                     // machines block and fs on the --disk image (used only when there is one)
}

// @ts-ignore: decorator
@inline const REQ: u32 = 8192;        // the largest request head (line + headers)
// @ts-ignore: decorator
@inline const OUT: u32 = 16384;

// Clients shared by every connection task (static data: a module-level let is per core).
const CLIENTS = memory.data(8);      // +0 NetClient, +4 FsClient (0: no disk: every path but / is 404)

const PAGE = "<!DOCTYPE html>\n<html><head><title>aam httpd</title></head>\n<body><h1>aam httpd</h1>\n<p>Served by the TCP/IP machine of an aam system image.</p></body></html>\n";

// ──── bytes ────

// Writes the ASCII string s at p; the bytes written.
function put(p: usize, s: string): u32 {
  for (let i = 0; i < s.length; i++) store<u8>(p + <usize>i, <u8>s.charCodeAt(i));
  return <u32>s.length;
}
// Writes n in decimal at p; the bytes written.
function putNum(p: usize, n: u64): u32 {
  let d: u32 = 1;
  for (let t = n; t >= 10; t /= 10) d++;
  for (let i = d; i > 0; i--) { store<u8>(p + <usize>(i - 1), <u8>(0x30 + <u32>(n % 10))); n /= 10; }
  return d;
}
// Whether the len bytes at p equal the ASCII s, ignoring ASCII case.
function eqi(p: usize, len: u32, s: string): bool {
  if (len != <u32>s.length) return false;
  for (let i: u32 = 0; i < len; i++) {
    let a = <u32>load<u8>(p + i), b = <u32>s.charCodeAt(i);
    if (a >= 0x41 && a <= 0x5A) a += 32;
    if (b >= 0x41 && b <= 0x5A) b += 32;
    if (a != b) return false;
  }
  return true;
}
// The offset just after the first blank line ("\r\n\r\n" or "\n\n") in [p, +len), or 0.
function headEnd(p: usize, len: u32): u32 {
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(p + i) != 10) continue;
    if (i + 1 < len && load<u8>(p + i + 1) == 10) return i + 2;
    if (i + 2 < len && load<u8>(p + i + 1) == 13 && load<u8>(p + i + 2) == 10) return i + 3;
  }
  return 0;
}

// Sends all n bytes; false if the connection failed.
function sendAll(net: NetClient, fd: i32, p: usize, n: u32): bool {
  let off: u32 = 0;
  while (off < n) {
    let s = net.sendSync(fd, p + off, n - off);
    if (s <= 0) return false;
    off += <u32>s;
  }
  return true;
}

// ──── one request ────

// What the head of one request says (offsets into the request buffer).
@unmanaged class Req {
  method: u32;        // 1 GET, 2 HEAD, 3 other
  path: usize; pathLen: u32;
  minor: u32;         // HTTP/1.minor
  close: bool;        // Connection: close (or HTTP/1.0 without keep-alive)
  body: u32;          // Content-Length
  status: u32;        // 0: parsed; else the error status to answer
}

// Parses the head [p, +len) into r (RFC 9112 §3, §5: request line, then field lines).
function parse(p: usize, len: u32, r: Req): void {
  r.status = 0; r.body = 0; r.close = false; r.minor = 1;
  let eol: u32 = 0;
  while (eol < len && load<u8>(p + eol) != 10) eol++;
  let line = eol > 0 && load<u8>(p + eol - 1) == 13 ? eol - 1 : eol;
  let sp1: u32 = 0;
  while (sp1 < line && load<u8>(p + sp1) != 32) sp1++;
  let sp2 = sp1 + 1;
  while (sp2 < line && load<u8>(p + sp2) != 32) sp2++;
  if (sp1 == 0 || sp1 >= line || sp2 >= line || sp2 == sp1 + 1 || load<u8>(p + sp1 + 1) != 0x2F) { r.status = 400; return; }
  for (let i: u32 = 0; i < sp1; i++) { let c = load<u8>(p + i); if (c < 0x41 || c > 0x5A) { r.status = 400; return; } }
  r.method = sp1 == 3 && eqi(p, 3, "GET") ? 1 : sp1 == 4 && eqi(p, 4, "HEAD") ? 2 : 3;
  r.path = p + sp1 + 1; r.pathLen = sp2 - sp1 - 1;
  for (let i: u32 = 0; i < r.pathLen; i++) { let c = load<u8>(r.path + i); if (c <= 32 || c >= 127) { r.status = 400; return; } }
  let v = p + sp2 + 1, vl = line - sp2 - 1;
  if (vl != 8 || !eqi(v, 5, "HTTP/") || load<u8>(v + 6) != 0x2E || load<u8>(v + 5) < 0x30 || load<u8>(v + 5) > 0x39 || load<u8>(v + 7) < 0x30 || load<u8>(v + 7) > 0x39) { r.status = 400; return; }
  if (load<u8>(v + 5) != 0x31) { r.status = 505; return; }
  r.minor = <u32>load<u8>(v + 7) - 0x30;
  let keepAlive = false;
  let at = eol + 1;
  while (at < len) {
    let e = at;
    while (e < len && load<u8>(p + e) != 10) e++;
    let l = e > at && load<u8>(p + e - 1) == 13 ? e - 1 - at : e - at;
    if (l == 0) break;                                          // the blank line
    let colon: u32 = 0;
    while (colon < l && load<u8>(p + at + colon) != 0x3A) colon++;
    if (colon == 0 || colon >= l || load<u8>(p + at + colon - 1) == 32) { r.status = 400; return; }
    let vs = at + colon + 1, ve = at + l;
    while (vs < ve && (load<u8>(p + vs) == 32 || load<u8>(p + vs) == 9)) vs++;
    while (ve > vs && (load<u8>(p + ve - 1) == 32 || load<u8>(p + ve - 1) == 9)) ve--;
    let name = p + at;
    if (eqi(name, colon, "connection")) {
      if (eqi(p + vs, ve - vs, "close")) r.close = true;
      else if (eqi(p + vs, ve - vs, "keep-alive")) keepAlive = true;
    } else if (eqi(name, colon, "content-length")) {
      let n: u64 = 0;
      if (ve == vs) { r.status = 400; return; }
      for (let i = vs; i < ve; i++) {
        let c = load<u8>(p + i);
        if (c < 0x30 || c > 0x39 || n > 0xFFFFFFF) { r.status = 400; return; }
        n = n * 10 + (c - 0x30);
      }
      r.body = <u32>n;
    } else if (eqi(name, colon, "transfer-encoding")) { r.status = 400; return; }
    at = e + 1;
  }
  if (r.minor == 0 && !keepAlive) r.close = true;
}

// Writes a response head into o: status, type, length, connection; its length.
function head(o: usize, status: u32, type: string, length: u64, close: bool): u32 {
  let n = put(o, "HTTP/1.1 ");
  n += putNum(o + n, status);
  n += put(o + n, status == 200 ? " OK" : status == 400 ? " Bad Request" : status == 404 ? " Not Found" : status == 405 ? " Method Not Allowed" : " HTTP Version Not Supported");
  n += put(o + n, "\r\nServer: aam-httpd\r\nContent-Type: ");
  n += put(o + n, type);
  n += put(o + n, "\r\nContent-Length: ");
  n += putNum(o + n, length);
  if (status == 405) n += put(o + n, "\r\nAllow: GET, HEAD");
  n += put(o + n, close ? "\r\nConnection: close\r\n\r\n" : "\r\nConnection: keep-alive\r\n\r\n");
  return n;
}

// The Content-Type for the path's extension.
function typeOf(p: usize, len: u32): string {
  let dot = len;
  while (dot > 0 && load<u8>(p + dot - 1) != 0x2E && load<u8>(p + dot - 1) != 0x2F) dot--;
  if (dot == 0 || load<u8>(p + dot - 1) != 0x2E) return "application/octet-stream";
  let e = p + dot, el = len - dot;
  if (eqi(e, el, "html") || eqi(e, el, "htm")) return "text/html";
  if (eqi(e, el, "txt")) return "text/plain";
  if (eqi(e, el, "css")) return "text/css";
  if (eqi(e, el, "js")) return "text/javascript";
  if (eqi(e, el, "json")) return "application/json";
  if (eqi(e, el, "png")) return "image/png";
  if (eqi(e, el, "jpg") || eqi(e, el, "jpeg")) return "image/jpeg";
  return "application/octet-stream";
}

// Answers one parsed request; false when the connection must close.
function answer(net: NetClient, fs: FsClient, fd: i32, r: Req, o: usize): bool {
  let close = r.close || r.status != 0;
  if (r.status == 0 && r.method == 3) r.status = 405;
  if (r.status != 0) {
    let n = head(o, r.status, "text/plain", 0, close);
    return sendAll(net, fd, o, n) && !close;
  }
  let pathLen = r.pathLen;
  for (let i: u32 = 0; i < pathLen; i++) if (load<u8>(r.path + i) == 0x3F) { pathLen = i; break; }   // the query is ignored
  if (pathLen == 1) {
    let n = head(o, 200, "text/html", <u64>PAGE.length, close);
    if (r.method == 1) n += put(o + n, PAGE);
    return sendAll(net, fd, o, n) && !close;
  }
  if (changetype<usize>(fs) == 0) { let n = head(o, 404, "text/plain", 0, close); return sendAll(net, fd, o, n) && !close; }
  let open = fs.open(r.path, pathLen, FS_O_RDONLY);
  let file = open.wait(), failed = open.failed;
  open.release();                                              // a failure's message goes with it
  if (failed) { let n = head(o, 404, "text/plain", 0, close); return sendAll(net, fd, o, n) && !close; }
  let st = FsStat.alloc();
  let sc = fs.fstat(file, st);
  sc.wait();
  let size = sc.failed ? 0 : st.size;
  sc.release();
  st.free();
  let ok = sendAll(net, fd, o, head(o, 200, typeOf(r.path, pathLen), size, close));
  let left = r.method == 1 ? size : 0;
  while (ok && left > 0) {
    let rc = fs.read(file, o, OUT);
    let got = rc.wait(), bad = rc.failed;
    rc.release();
    if (bad || got <= 0) { ok = false; break; }               // the length was promised: close
    ok = sendAll(net, fd, o, <u32>got);
    left -= min(left, <u64>got);
  }
  let cc = fs.close(file); cc.wait(); cc.release();
  return ok && !close;
}

// ──── a connection ────

// arg0: the descriptor. Reads heads, answers each (pipelined ones in order), until close.
function connection(t: Task): u64 {
  let net = changetype<NetClient>(load<usize>(CLIENTS)), fs = changetype<FsClient>(load<usize>(CLIENTS, 4));
  let fd = <i32>t.arg0;
  let buf = heapAlloc(REQ), o = heapAlloc(OUT), r = changetype<Req>(heapAlloc(offsetof<Req>()));
  let have: u32 = 0, skip: u32 = 0, open = true;
  while (open) {
    let end = headEnd(buf, have);
    if (end == 0) {
      if (have == REQ) { r.status = 400; r.close = true; answer(net, fs, fd, r, o); break; }    // a head above 8 KiB
      let n = net.recvSync(fd, buf + have, REQ - have);
      if (n <= 0) break;
      have += <u32>n;
      continue;
    }
    parse(buf, end, r);
    skip = r.status == 0 ? r.body : 0;                         // the body (of a parsed request): read and dropped
    open = answer(net, fs, fd, r, o);
    let rest = have - end;
    let drop = min(skip, rest);
    memory.copy(buf, buf + end + drop, rest - drop);
    have = rest - drop; skip -= drop;
    while (open && skip > 0) {
      let n = net.recvSync(fd, buf, min(skip, REQ));
      if (n <= 0) { open = false; break; }
      skip -= <u32>n;
    }
  }
  net.closeSync(fd);
  heapFree(buf); heapFree(o); heapFree(changetype<usize>(r));
  return 0;
}

export function main(): i32 {
  let a = args();
  let port = a.length > 1 ? I32.parseInt(a[1]) : 80;
  if (port < 1 || port > 65535) { eprintln("usage: httpd.ts [port 1..65535]"); return 2; }
  let net = connectNet(1024);
  store<usize>(CLIENTS, changetype<usize>(net));
  if (BlockClient.open() != null) store<usize>(CLIENTS, changetype<usize>(connectFs(1024)), 4);
  let l = net.socketSync(SOCK_STREAM);
  let r = net.bindSync(l, 0, <u32>port);
  if (r == 0) r = net.listenSync(l, 128);
  if (r < 0) { eprintln("httpd: listen on port " + port.toString() + ": " + r.toString()); return 1; }
  println("httpd: port " + port.toString());
  let peer = NetAddr.alloc();
  while (true) {
    let c = net.acceptSync(l, peer);
    if (c < 0) { eprintln("httpd: accept: " + c.toString()); break; }
    spawnDetached(connection, <u64>c);
  }
  return 1;
}
