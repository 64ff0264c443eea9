#!/usr/bin/env python3
"""peer.py: Linux-side peers of the network tests that nc and curl cannot play.

Runs inside the test's namespace (`ip netns exec`, started by tests/net/*.test.mjs through
tests/lib/netns.mjs); each subcommand prints one JSON line and exits 0, or exits 1 with a reason.
Owns: a UDP echo client with counted retries, hostile frames written on the TAP with AF_PACKET
(hand-built, no scapy), a SYN flood, a hand-made TCP endpoint for out-of-window segments, and a
client that holds a zero window open. Not: the namespace, the guest, the assertions on the guest.

Subcommands:
  ask IP PORT TEXT                       one datagram, its answer as {"reply"} (at most 10 tries)
  udp IP PORT COUNT SIZE                 COUNT datagrams of SIZE bytes, each echoed byte-exact
                                         (a lost one is re-sent: at most 10 tries each)
  frames TAP GUEST_MAC GUEST_IP MY_IP    malformed frames of every layer (see hostile_frames)
  synflood TAP GUEST_MAC GUEST_IP PORT N N SYNs from spoofed addresses and ports of the subnet
  oow TAP GUEST_MAC GUEST_IP PORT        out-of-window data, RST and SYN on an established
                                         connection of a spoofed address (RFC 9293 §3.10.7.4,
                                         RFC 5961): must be ACKed or dropped, never accepted
  echoserver PORT                        a threaded TCP echo server (Python's socketserver); prints
                                         {"listening": PORT}, serves until killed
  zerowin IP PORT HOLD_ROUNDS            connect, send without reading until the guest stops taking
                                         data (the guest sees our window at 0); holds; prints counts
"""
import json, os, random, select, socket, struct, sys, time

ETH_P_ALL, ETH_P_IP, ETH_P_ARP = 0x0003, 0x0800, 0x0806


def out(**kw):
    print(json.dumps(kw), flush=True)


def fail(msg):
    print(json.dumps({"error": msg}), flush=True)
    sys.exit(1)


# ---- checksums and headers -----------------------------------------------------------------

def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return socket.inet_aton(a)


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def eth(dst, src, typ, payload):
    return dst + src + struct.pack("!H", typ) + payload


def ipv4(src, dst, proto, payload, ident=1, ttl=64, flags_frag=0x4000, ihl=5, total=None, bad_csum=False, options=b""):
    total = 20 + len(options) + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, 0, total, ident, flags_frag, ttl, proto, 0, src, dst) + options
    c = csum(h)
    if bad_csum:
        c ^= 0x5555
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", window=65535, options=b"", doff=None, bad_csum=False):
    doff = (20 + len(options)) // 4 if doff is None else doff
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, doff << 4, flags, window, 0, 0) + options
    seg = h + payload
    c = csum(src + dst + struct.pack("!BBH", 0, 6, len(seg)) + seg)
    if bad_csum:
        c ^= 0x1234
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, payload, length=None, bad_csum=False):
    length = 8 + len(payload) if length is None else length
    seg = struct.pack("!HHHH", sport, dport, length, 0) + payload
    c = csum(src + dst + struct.pack("!BBH", 0, 17, len(seg)) + seg) or 0xFFFF
    if bad_csum:
        c ^= 0x0F0F
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp_echo(ident, seq, data, bad_csum=False):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    c = csum(h) ^ (0x2222 if bad_csum else 0)
    return h[:2] + struct.pack("!H", c) + h[4:]


FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32


class Wire:
    """AF_PACKET on the TAP: send whole frames, receive the guest's frames."""

    def __init__(self, tap):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind((tap, 0))
        self.mac = self.s.getsockname()[4]
        self.sent = 0

    def send(self, frame):
        try:
            self.s.send(frame)
            self.sent += 1
        except OSError:
            pass                                          # a frame the TAP refuses (too short/long)

    def recv(self, timeout):
        r, _, _ = select.select([self.s], [], [], timeout)
        if not r:
            return None
        data, addr = self.s.recvfrom(65536)
        if addr[2] == socket.PACKET_OUTGOING:
            return b""                                    # our own frame (or Linux's), not the guest's
        return data


# ---- udp -----------------------------------------------------------------------------------

def cmd_udp(ip, port, count, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    retries = 0
    for i in range(int(count)):
        payload = bytes((i * 7 + j) & 255 for j in range(int(size)))
        for attempt in range(10):
            s.sendto(payload, (ip, int(port)))
            try:
                while True:
                    data, _ = s.recvfrom(65536)
                    if data == payload:
                        break
            except socket.timeout:
                retries += 1
                continue
            break
        else:
            fail(f"datagram {i} not echoed in 10 tries")
    out(datagrams=int(count), size=int(size), retries=retries)


def cmd_ask(ip, port, text):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    for attempt in range(10):
        s.sendto(text.encode(), (ip, int(port)))
        try:
            data, _ = s.recvfrom(65536)
            out(reply=data.decode(errors="replace"), tries=attempt + 1)
            return
        except socket.timeout:
            continue
    fail(f"no answer to {text!r} in 10 tries")


# ---- hostile frames ------------------------------------------------------------------------

def hostile_frames(gmac, me, gip, myip):
    """Every frame here is wrong in one way; a stack drops it (or answers with an error/RST)."""
    g, m = ip4(gip), ip4(myip)
    E = lambda typ, p: eth(gmac, me, typ, p)
    good_tcp = lambda **kw: tcp(m, g, 40000, 7, 1000, 0, SYN, **kw)
    fr = []
    fr += [b"\xff" * n for n in (1, 6, 13)]                                  # shorter than a header
    fr.append(E(0x88B5, b"local experimental ethertype"))                   # unknown ethertype
    fr.append(E(ETH_P_IP, b"\x45\x00"))                                      # truncated IPv4 header
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, good_tcp())[:19]))
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 1, b"x" * 8), ihl=4)))  # IHL < 5
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 1, b"x" * 8), ihl=15)))  # IHL beyond the packet
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 1, b"x" * 8), total=1400)))  # total > frame
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 1, b"x" * 8), total=12)))    # total < header
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 1, b"x" * 8), bad_csum=True)))  # bad IP checksum
    bad_ver = bytearray(ipv4(m, g, 1, icmp_echo(1, 1, b"x" * 8)))
    bad_ver[0] = 0x65
    fr.append(E(ETH_P_IP, bytes(bad_ver)))                                   # version 6 in an IPv4 frame
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 1, b"x" * 8), flags_frag=0x2000)))  # first fragment, never completed
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, b"y" * 16, flags_frag=0x0005)))     # a lone last fragment
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, b"y" * 16, flags_frag=0x1FFF)))     # offset at the very end
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 2, b"x" * 8, bad_csum=True))))  # bad ICMP checksum
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, b"\x08")))                           # truncated ICMP
    fr.append(E(ETH_P_IP, ipv4(m, g, 17, udp(m, g, 5000, 7, b"abc", bad_csum=True))))  # bad UDP checksum
    fr.append(E(ETH_P_IP, ipv4(m, g, 17, udp(m, g, 5000, 7, b"abc", length=400))))     # UDP length > packet
    fr.append(E(ETH_P_IP, ipv4(m, g, 17, udp(m, g, 5000, 7, b"abc", length=4))))       # UDP length < 8
    fr.append(E(ETH_P_IP, ipv4(m, g, 17, b"\x13\x88")))                      # truncated UDP header
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, good_tcp(bad_csum=True))))          # bad TCP checksum
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, good_tcp(doff=3))))                  # data offset < 5
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, good_tcp(doff=15))))                 # data offset > segment
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, good_tcp(options=b"\x02\x00\x05\xb4"))))  # option length 0
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, good_tcp(options=b"\x03\x09\x07\x00"))))  # option beyond the header
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, good_tcp(options=b"\x02\x04\x00\x00"))))  # MSS 0
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, tcp(m, g, 40001, 7, 1, 0, SYN | FIN))))   # SYN+FIN
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, tcp(m, g, 40002, 7, 1, 0, 0x3F))))        # every flag (xmas)
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, tcp(m, g, 40003, 7, 1, 0, 0))))           # no flag
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, tcp(m, g, 40004, 7, 1, 5, ACK, b"stray"))))  # ACK for no connection: RST
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, tcp(m, g, 40005, 7, 1, 0, RST))))        # RST for no connection
    fr.append(E(ETH_P_IP, ipv4(m, g, 6, tcp(m, g, 0, 7, 1, 0, SYN))))             # source port 0
    fr.append(E(ETH_P_IP, ipv4(g, g, 6, tcp(g, g, 7, 7, 1, 0, SYN))))             # LAND: its own address and port
    fr.append(E(ETH_P_IP, ipv4(ip4("255.255.255.255"), g, 6, tcp(ip4("255.255.255.255"), g, 1, 7, 1, 0, SYN))))  # broadcast source
    fr.append(E(ETH_P_IP, ipv4(m, g, 99, b"unknown protocol")))              # unknown protocol: ICMP unreachable or drop
    fr.append(E(ETH_P_ARP, b"\x00\x01\x08\x00\x06\x04\x00\x01"))            # truncated ARP
    fr.append(E(ETH_P_ARP, struct.pack("!HHBBH", 1, 0x0800, 9, 2, 1) + b"\0" * 22))  # ARP hlen 9 plen 2
    fr.append(E(ETH_P_ARP, struct.pack("!HHBBH", 6, 0x86DD, 6, 16, 1) + b"\0" * 40))  # ARP of another protocol
    fr.append(E(ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 3, b"z" * 1400) + b"\0" * 200, total=1500)))  # padding past total
    fr.append(eth(gmac, me, ETH_P_IP, ipv4(m, g, 1, icmp_echo(1, 4, b"j" * 8900))))  # jumbo frame past the MTU
    rnd = random.Random(18)
    for i in range(2000):                                                    # random bytes behind valid headers
        layer = i % 4
        junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 80)))
        if layer == 0:
            fr.append(E(ETH_P_IP, junk))
        elif layer == 1:
            fr.append(E(ETH_P_IP, ipv4(m, g, 6, junk)))
        elif layer == 2:
            fr.append(E(ETH_P_IP, ipv4(m, g, 17, junk)))
        else:
            fr.append(E(ETH_P_ARP, junk))
    return fr


def cmd_frames(tap, gmac, gip, myip):
    w = Wire(tap)
    frames = hostile_frames(mac(gmac), w.mac, gip, myip)
    for i, f in enumerate(frames):
        w.send(f)
        if i % 64 == 63:
            while w.recv(0) is not None:                  # drain what the guest answered
                pass
    out(frames=len(frames), sent=w.sent)


# ---- SYN flood -----------------------------------------------------------------------------

def cmd_synflood(tap, gmac, gip, port, n):
    """SYNs from addresses .100–.199 of the subnet (nobody answers the guest's ARP for them) and
    from random ports: the guest's half-open connections must be bounded and time out."""
    w = Wire(tap)
    g = ip4(gip)
    base = gip.rsplit(".", 1)[0]
    rnd = random.Random(7)
    for i in range(int(n)):
        src = ip4(f"{base}.{100 + i % 100}")
        seg = tcp(src, g, 1024 + rnd.randrange(60000), int(port), rnd.getrandbits(32), 0, SYN,
                  options=b"\x02\x04\x05\xb4")
        w.send(eth(mac(gmac), w.mac, ETH_P_IP, ipv4(src, g, 6, seg, ident=i & 0xFFFF)))
        if i % 128 == 127:
            while w.recv(0) is not None:
                pass
    out(syns=int(n), sent=w.sent)


# ---- out-of-window segments on a hand-made connection ----------------------------------------

class RawConn:
    """A TCP endpoint of our own at a spoofed address of the subnet: answers the guest's ARP for
    it (Linux does not own the address and ignores the frames), keeps its own sequence numbers."""

    def __init__(self, tap, gmac, gip, myip, port):
        self.w = Wire(tap)
        self.gmac, self.g, self.m, self.port = mac(gmac), ip4(gip), ip4(myip), int(port)
        self.sport = 30000 + os.getpid() % 20000
        self.iss = 0x10000000
        self.snd = self.iss
        self.rcv = 0
        self.rwnd = 0

    def send(self, flags, payload=b"", seq=None, ack=None, window=65535):
        seg = tcp(self.m, self.g, self.sport, self.port, self.snd if seq is None else seq,
                  self.rcv if ack is None else ack, flags, payload, window=window)
        self.w.send(eth(self.gmac, self.w.mac, ETH_P_IP, ipv4(self.m, self.g, 6, seg)))

    def expect(self, timeout=5.0, tries=60):
        """The guest's next segment of this connection, answering ARP for our address meanwhile.
        Bounded by a count of receive attempts (each up to timeout/tries)."""
        for _ in range(tries):
            f = self.w.recv(timeout / tries)
            if not f or len(f) < 14:
                continue
            typ = struct.unpack("!H", f[12:14])[0]
            if typ == ETH_P_ARP and len(f) >= 42 and f[20:22] == b"\x00\x01" and f[38:42] == self.m:
                rep = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + self.w.mac + self.m + f[22:28] + f[28:32]
                self.w.send(eth(f[6:12], self.w.mac, ETH_P_ARP, rep))
                continue
            if typ != ETH_P_IP or f[23] != 6 or f[30:34] != self.m:
                continue
            ihl = (f[14] & 15) * 4
            t = f[14 + ihl:]
            sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", t[:16])
            if sport != self.port or dport != self.sport:
                continue
            total = struct.unpack("!H", f[16:18])[0]
            data = f[14 + ihl + (off >> 4) * 4:14 + total]
            return {"seq": seq, "ack": ack, "flags": flags, "win": win, "data": data}
        return None

    def handshake(self):
        for _ in range(5):
            self.send(SYN, seq=self.iss, ack=0)
            s = self.expect()
            if s and s["flags"] & (SYN | ACK) == SYN | ACK and s["ack"] == (self.iss + 1) & 0xFFFFFFFF:
                self.snd = self.iss + 1
                self.rcv = (s["seq"] + 1) & 0xFFFFFFFF
                self.rwnd = s["win"]
                self.send(ACK)
                return True
        return False

    def echo(self, payload):
        """Send in-window data; collect the echo (ACKing it) until all of it came back."""
        self.send(PSH | ACK, payload)
        self.snd += len(payload)
        got = b""
        for _ in range(40):
            s = self.expect()
            if s is None:
                self.send(PSH | ACK, payload, seq=self.snd - len(payload))   # retransmit
                continue
            if s["flags"] & RST:
                return None
            if s["data"] and s["seq"] == self.rcv:
                got += s["data"]
                self.rcv = (self.rcv + len(s["data"])) & 0xFFFFFFFF
                self.send(ACK)
            if got == payload:
                return got
        return got


def cmd_oow(tap, gmac, gip, myip, port):
    c = RawConn(tap, gmac, gip, myip, port)
    if not c.handshake():
        fail("no handshake with the guest")
    res = {"handshake": True}
    res["echo_before"] = c.echo(b"before") == b"before"
    # 1. data far beyond the window: not acceptable → an ACK with the unchanged ack number, no echo
    c.send(PSH | ACK, b"OUT-OF-WINDOW", seq=c.snd + 0x40000000)
    a = c.expect()
    res["oow_data_acked"] = bool(a and a["flags"] & ACK and not a["flags"] & RST and a["ack"] == c.snd & 0xFFFFFFFF)
    res["oow_data_echoed"] = bool(a and a["data"])
    # 2. data entirely before the window (old duplicate): ACK, not delivered again
    c.send(PSH | ACK, b"OLD", seq=c.snd - 100)
    a = c.expect()
    res["old_data_acked"] = bool(a and a["flags"] & ACK and a["ack"] == c.snd & 0xFFFFFFFF and not a["data"])
    # 3. RST out of the window: silently dropped (the connection lives on)
    c.send(RST, seq=c.snd + 0x40000000, ack=0)
    # 4. RST in the window but not at RCV.NXT: a challenge ACK (RFC 5961 §3) or drop; not a reset
    c.send(RST, seq=c.snd + 1, ack=0)
    # 5. SYN on the established connection: a challenge ACK (RFC 5961 §4 / RFC 9293), not a reset
    c.send(SYN, seq=c.snd + 5, ack=0)
    # 6. an ACK of data never sent: ACK and drop (RFC 9293 §3.10.7.4, fifth check)
    c.send(ACK, ack=c.rcv + 0x10000000)
    res["echo_after"] = c.echo(b"after") == b"after"
    # 7. close: FIN, expect the guest's FIN (echo closes on EOF), ACK it
    c.send(FIN | ACK)
    c.snd += 1
    fin = False
    for _ in range(20):
        s = c.expect()
        if s is None:
            break
        if s["flags"] & FIN:
            c.rcv = (s["seq"] + len(s["data"]) + 1) & 0xFFFFFFFF
            c.send(ACK)
            fin = True
            break
    res["closed"] = fin
    out(**res)


# ---- a zero window held open ---------------------------------------------------------------

def cmd_zerowin(ip, port, rounds):
    """Our receive buffer small and never read: the echo's replies fill it, the guest sees a
    zero window and must probe, not spin or grow; the guest stops reading our data too, so our
    send stalls. Counted: we hold until `rounds` consecutive 0.2 s rounds sent nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    s.settimeout(30)
    s.connect((ip, int(port)))
    s.setblocking(False)
    sent, idle, chunk = 0, 0, b"Z" * 4096
    for _ in range(10000):
        _, w, _ = select.select([], [s], [], 0.2)
        if w:
            try:
                sent += s.send(chunk)
                idle = 0
                continue
            except BlockingIOError:
                pass
        idle += 1
        if idle >= int(rounds):
            break
    out(sent=sent, stalled=idle >= int(rounds))
    # hold open until the test closes us (stdin EOF), then read everything back: nothing lost
    sys.stdin.read()
    s.setblocking(True)
    s.shutdown(socket.SHUT_WR)
    got = 0
    while True:
        d = s.recv(1 << 16)
        if not d:
            break
        got += len(d)
    out(sent=sent, received=got)


def cmd_echoserver(port):
    import socketserver

    class Echo(socketserver.BaseRequestHandler):
        def handle(self):
            while True:
                d = self.request.recv(1 << 16)
                if not d:
                    break
                self.request.sendall(d)

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("0.0.0.0", int(port)), Echo)
    out(listening=int(port))
    srv.serve_forever()


def main():
    a = sys.argv[1:]
    cmds = {"ask": cmd_ask, "udp": cmd_udp, "frames": cmd_frames, "synflood": cmd_synflood, "oow": cmd_oow, "zerowin": cmd_zerowin, "echoserver": cmd_echoserver}
    if not a or a[0] not in cmds:
        fail(f"usage: peer.py {'|'.join(cmds)} …")
    cmds[a[0]](*a[1:])


if __name__ == "__main__":
    main()
