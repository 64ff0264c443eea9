// stack_dev.test.mjs: machine "net" (aams/net) on a virtio-net device, Node (`aam run`) and QEMU
// (`aam boot`), with a JS peer on the link (stack_peer.mjs, `--net stream:PATH`). Questions:
// does the stack announce itself and answer ARP for its address (and only its address)? answer
// ICMP echo with the same data? echo UDP datagrams (checksums right both ways)? send a port
// unreachable for a closed port and a protocol unreachable for an unknown protocol? drop every
// malformed frame, counting each under its reason, and go on answering? leave the heap of its
// echo loop where it was? Deterministic: every check waits for a frame or counts; nothing timed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { image } from "../lib/aam.mjs";
import { startPeer, parse, eth, arp, ipv4, icmpEcho, udp, ip, stats, PEER_MAC, PEER_IP, OUR_IP, BCAST } from "./stack_peer.mjs";

const PROG = "tests/net/programs/stack_dev.ts";
const hosts = process.env.AAM_NET_HOSTS ? process.env.AAM_NET_HOSTS.split(",") : ["run", "boot"];

// The hostile frames: [what, frame builder(ourMac), the counter that must count it].
const junk = (n) => Buffer.alloc(n, 0x5a);
function hostile(mac) {
  const echo = icmpEcho(7, 1, junk(8));
  const good = (o = {}, payload = echo, proto = 1) => ipv4(PEER_IP, OUR_IP, proto, payload, o);
  const bad = (buf, f) => { const b = Buffer.from(buf); f(b); return b; };
  return [
    ["another host's MAC", () => eth(Buffer.from([2, 9, 9, 9, 9, 9]), 0x0800, good()), "eth_not_ours"],
    ["a multicast MAC", () => eth(Buffer.from([1, 0, 0x5e, 0, 0, 1]), 0x0800, good()), "eth_not_ours"],
    ["a broadcast source MAC", () => eth(mac, 0x0800, good(), BCAST), "eth_not_ours"],
    ["IPv6", () => eth(mac, 0x86dd, junk(40)), "eth_unknown"],
    ["a VLAN tag", () => eth(mac, 0x8100, junk(46)), "eth_unknown"],
    ["ARP with hlen 5", () => eth(mac, 0x0806, bad(arp(1, PEER_MAC, PEER_IP, Buffer.alloc(6), OUR_IP), (b) => (b[4] = 5))), "arp_bad"],
    ["ARP cut at 20 bytes", () => eth(mac, 0x0806, arp(1, PEER_MAC, PEER_IP, Buffer.alloc(6), OUR_IP).subarray(0, 20)), "arp_bad"],
    ["ARP op 9", () => eth(mac, 0x0806, bad(arp(1, PEER_MAC, PEER_IP, Buffer.alloc(6), OUR_IP), (b) => b.writeUInt16BE(9, 6))), "arp_bad"],
    ["IP cut at 12 bytes", () => eth(mac, 0x0800, good().subarray(0, 12)), "ip_bad_header"],
    ["IP version 6 in an IPv4 frame", () => eth(mac, 0x0800, good({ version: 6 })), "ip_bad_header"],
    ["IHL 4", () => eth(mac, 0x0800, good({ ihl: 4 })), "ip_bad_header"],
    ["IHL 15 in a short packet", () => eth(mac, 0x0800, good({ ihl: 15 })), "ip_bad_header"],
    ["total length above the frame", () => eth(mac, 0x0800, good({ total: 400 })), "ip_bad_len"],
    ["total length below the header", () => eth(mac, 0x0800, good({ total: 12 })), "ip_bad_len"],
    ["a bad header checksum", () => eth(mac, 0x0800, good({ csum: 0x1234 })), "ip_bad_csum"],
    ["the reserved flag", () => eth(mac, 0x0800, good({ frag: 0x8000 })), "ip_bad_header"],
    ["a first fragment (MF)", () => eth(mac, 0x0800, good({ frag: 0x2000 })), "ip_fragments"],
    ["a later fragment (offset)", () => eth(mac, 0x0800, good({ frag: 0x0010 })), "ip_fragments"],
    ["TTL 0", () => eth(mac, 0x0800, good({ ttl: 0 })), "ip_ttl0"],
    ["another host's address", () => eth(mac, 0x0800, ipv4(PEER_IP, ip("10.0.0.99"), 1, echo)), "ip_not_ours"],
    ["a source in 127/8", () => eth(mac, 0x0800, ipv4(ip("127.0.0.1"), OUR_IP, 1, echo)), "ip_bad_src"],
    ["a broadcast source", () => eth(mac, 0x0800, ipv4(ip("10.0.0.255"), OUR_IP, 1, echo)), "ip_bad_src"],
    ["a multicast source", () => eth(mac, 0x0800, ipv4(ip("224.0.0.1"), OUR_IP, 1, echo)), "ip_bad_src"],
    ["ICMP with a bad checksum", () => eth(mac, 0x0800, good({}, bad(echo, (b) => (b[3] ^= 1)))), "icmp_bad"],
    ["ICMP cut at 4 bytes", () => eth(mac, 0x0800, good({}, echo.subarray(0, 4))), "icmp_bad"],
    ["UDP with a bad checksum", () => eth(mac, 0x0800, good({}, bad(udp(PEER_IP, OUR_IP, 5000, 7, junk(10)), (b) => (b[6] ^= 1)), 17)), "udp_bad"],
    ["UDP length above the packet", () => eth(mac, 0x0800, good({}, udp(PEER_IP, OUR_IP, 5000, 7, junk(10), { len: 300, csum: 0 }), 17)), "udp_bad"],
    ["UDP length 4", () => eth(mac, 0x0800, good({}, udp(PEER_IP, OUR_IP, 5000, 7, junk(10), { len: 4, csum: 0 }), 17)), "udp_bad"],
    ["UDP cut at 6 bytes", () => eth(mac, 0x0800, good({}, udp(PEER_IP, OUR_IP, 5000, 7, junk(10)).subarray(0, 6), 17)), "udp_bad"],
  ];
}

for (const host of hosts) {
  test(`${host}: ARP, ICMP echo, UDP echo, unreachables and ${hostile(PEER_MAC).length} kinds of hostile frames`, async () => {
    const prog = await image(PROG);
    const peer = await startPeer(host, prog, { extra: ["--gw", "10.0.0.1"] });
    try {
      // The announcement: a broadcast request for our own address, sent when the stack starts.
      const ann = parse(await peer.next((f) => parse(f).arp?.spa === OUR_IP && parse(f).arp.tpa === OUR_IP, "the gratuitous ARP"));
      assert.equal([...ann.dst], [...BCAST]);
      const mac = Buffer.from(ann.arp.sha);
      await peer.line(/^ready link 1$/m);
      const want = { rx_frames: 0 };
      const sent = (f, counter) => { peer.send(f); want.rx_frames++; if (counter) want[counter] = (want[counter] ?? 0) + 1; };

      // Our stack sends to us (10.0.0.1): it asks ARP; the datagram comes once we answered.
      // To 192.168.99.1 (off-link): through the gateway, 10.0.0.1 as well, so the same answer
      // releases it. To 10.0.0.50: three requests, then it gives up (the program waits for that).
      const ask = parse(await peer.next((f) => parse(f).arp?.op === 1 && parse(f).arp.tpa === PEER_IP, "an ARP request for the peer"));
      assert.equal([...ask.dst], [...BCAST]);
      sent(eth(mac, 0x0806, arp(2, PEER_MAC, PEER_IP, mac, OUR_IP)));
      const hello = parse(await peer.next((f) => parse(f).ip?.udp?.dport === 5555 && parse(f).ip.dst === PEER_IP, "the datagram to the peer"));
      assert.ok(hello.ip.udp.ok && hello.ip.udp.data.toString() === "hello");
      assert.equal([...hello.dst], [...PEER_MAC]);
      const routed = parse(await peer.next((f) => parse(f).ip?.dst === ip("192.168.99.1"), "the datagram through the gateway"));
      assert.equal([...routed.dst], [...PEER_MAC], "to the gateway's MAC");
      for (let i = 1; i <= 3; i++) await peer.next((f) => parse(f).arp?.op === 1 && parse(f).arp.tpa === ip("10.0.0.50"), `ARP request ${i} for 10.0.0.50`);
      await peer.line(/^sent 5 5 5$/m);

      // ARP: a request for our address is answered; one for another address is not.
      sent(eth(BCAST, 0x0806, arp(1, PEER_MAC, PEER_IP, Buffer.alloc(6), ip("10.0.0.77"))));
      sent(eth(BCAST, 0x0806, arp(1, PEER_MAC, PEER_IP, Buffer.alloc(6), OUR_IP)));
      const rep = parse(await peer.next((f) => parse(f).arp?.op === 2, "an ARP reply"));
      assert.equal([...rep.dst], [...PEER_MAC]);
      assert.equal([...rep.arp.sha], [...mac]);
      assert.is(rep.arp.spa, OUR_IP);
      assert.is(rep.arp.tpa, PEER_IP);

      // ICMP echo, in a frame padded past the packet's total length (the padding is cut).
      const data = Buffer.from("the quick brown fox jumps over the lazy dog");
      sent(eth(mac, 0x0800, Buffer.concat([ipv4(PEER_IP, OUR_IP, 1, icmpEcho(0x4242, 5, data)), Buffer.alloc(9)])));
      const pong = parse(await peer.next((f) => parse(f).ip?.icmp?.type === 0, "an echo reply"));
      assert.ok(pong.ip.hdrOk && pong.ip.icmp.ok, "checksums");
      assert.is(pong.ip.dst, PEER_IP);
      assert.is(pong.ip.src, OUR_IP);
      assert.equal([...pong.ip.icmp.rest], [...Buffer.from([0x42, 0x42, 0, 5]), ...data]);

      // UDP echo on port 7, 0 to 1472 bytes.
      for (const n of [0, 1, 100, 1472]) {
        const d = Buffer.alloc(n, n & 255);
        sent(eth(mac, 0x0800, ipv4(PEER_IP, OUR_IP, 17, udp(PEER_IP, OUR_IP, 40000 + n, 7, d))));
        const r = parse(await peer.next((f) => parse(f).ip?.udp?.dport === 40000 + n, `the echo of ${n} bytes`));
        assert.ok(r.ip.udp.ok && r.ip.hdrOk, "checksums");
        assert.is(r.ip.udp.sport, 7);
        assert.ok(r.ip.udp.data.equals(d), `${n} bytes echoed`);
      }
      // A datagram without a checksum (0) is accepted.
      sent(eth(mac, 0x0800, ipv4(PEER_IP, OUR_IP, 17, udp(PEER_IP, OUR_IP, 39999, 7, Buffer.from("nocsum"), { csum: 0 }))));
      await peer.next((f) => parse(f).ip?.udp?.dport === 39999, "the echo of a datagram without checksum");

      // A closed port: port unreachable quoting our datagram; an unknown protocol: protocol unreachable.
      sent(eth(mac, 0x0800, ipv4(PEER_IP, OUR_IP, 17, udp(PEER_IP, OUR_IP, 41000, 9, Buffer.from("x")))), "udp_no_port");
      const pu = parse(await peer.next((f) => parse(f).ip?.icmp?.type === 3 && parse(f).ip.icmp.code === 3, "a port unreachable"));
      assert.ok(pu.ip.icmp.ok);
      assert.is(pu.ip.icmp.rest.readUInt32BE(4 + 12), PEER_IP, "quotes our IP header");
      sent(eth(mac, 0x0800, ipv4(PEER_IP, OUR_IP, 99, junk(20))), "ip_unknown_proto");
      await peer.next((f) => parse(f).ip?.icmp?.type === 3 && parse(f).ip.icmp.code === 2, "a protocol unreachable");

      // Hostile frames: each dropped and counted; the stack still answers afterwards.
      for (const [, build, counter] of hostile(mac)) sent(build(), counter);
      sent(eth(mac, 0x0800, ipv4(PEER_IP, OUR_IP, 1, icmpEcho(0x4243, 6, data))));
      await peer.next((f) => parse(f).ip?.icmp?.type === 0 && parse(f).ip.icmp.rest.readUInt16BE(0) === 0x4243, "an echo reply after the hostile frames");

      sent(eth(mac, 0x0800, ipv4(PEER_IP, OUR_IP, 17, udp(PEER_IP, OUR_IP, 42000, 7, Buffer.from("quit")))));
      const r = await peer.done();
      assert.is(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /^done$/m);
      if (process.env.AAM_NET_VERBOSE) console.log(r.stdout);
      const s = stats(r.stdout);
      for (const [k, v] of Object.entries(want)) assert.is(s[k], v, `${k}: ${s[k]}, expected ${v}\n${r.stdout}`);
      assert.is(s.icmp_echo_replies, 2);
      assert.is(s.icmp_unreach_sent, 2);
      assert.is(s.arp_replies_sent, 1);
      assert.is(s.arp_requests_sent, 4, "1 for the peer (the gateway is the peer), 3 for 10.0.0.50");
      assert.is(s.arp_unresolved, 1);
      assert.is(peer.frames.filter((f) => parse(f).arp?.tpa === ip("10.0.0.50")).length, 3);
      assert.match(r.stdout, /^sockets 0$/m);
      const nic = /^nic rx (\d+) bad (\d+) tx (\d+) drops (\d+)$/m.exec(r.stdout);
      assert.ok(nic, r.stdout);
      assert.is(Number(nic[1]), s.rx_frames, "every frame the driver took reached the stack");
      assert.is(Number(nic[3]), s.tx_frames, "every frame the stack sent went to the driver");
      assert.is(Number(nic[4]), 0, "no send dropped");
      assert.match(r.stdout, /^echoed 5 heap \+0$/m, r.stdout);
    } finally {
      peer.kill();
      await peer.done();
    }
  });
}

for (const host of hosts) {
  test(`${host}: replies to 100 on-link addresses that never answer ARP fill the table, yet the peer that answered keeps its entry: its ping is answered at once, with no new ARP request (arp.ts evicts waiting entries first)`, async () => {
    const peer = await startPeer(host, await image(PROG), { extra: ["--gw", "10.0.0.1"] });
    try {
      const ann = parse(await peer.next((f) => parse(f).arp?.spa === OUR_IP && parse(f).arp.tpa === OUR_IP, "the gratuitous ARP"));
      const mac = Buffer.from(ann.arp.sha);
      await peer.line(/^ready link 1$/m);
      await peer.next((f) => parse(f).arp?.op === 1 && parse(f).arp.tpa === PEER_IP, "an ARP request for the peer");
      peer.send(eth(mac, 0x0806, arp(2, PEER_MAC, PEER_IP, mac, OUR_IP)));
      await peer.next((f) => parse(f).ip?.udp?.dport === 5555 && parse(f).ip.dst === PEER_IP, "the datagram to the peer");
      await peer.line(/^sent 5 5 5$/m);
      const silent = Array.from({ length: 100 }, (_, i) => ip(`10.0.0.${100 + i}`));
      for (const [i, src] of silent.entries()) {         // one at a time: the socket's queue holds 64
        peer.send(eth(mac, 0x0800, ipv4(src, OUR_IP, 17, udp(src, OUR_IP, 30000 + i, 7, Buffer.from("x")))));
        await peer.next((f) => parse(f).arp?.op === 1 && parse(f).arp.tpa === src, `the ARP request for 10.0.0.${100 + i}`);
      }
      peer.send(eth(mac, 0x0800, ipv4(PEER_IP, OUR_IP, 1, icmpEcho(0x4244, 1, Buffer.from("still there")))));
      const pong = parse(await peer.next((f) => parse(f).ip?.icmp?.type === 0 && parse(f).ip.icmp.rest.readUInt16BE(0) === 0x4244, "the echo reply to the peer"));
      assert.equal([...pong.dst], [...PEER_MAC], "sent straight to the peer's MAC");
      peer.send(eth(mac, 0x0800, ipv4(PEER_IP, OUR_IP, 17, udp(PEER_IP, OUR_IP, 42000, 7, Buffer.from("quit")))));
      const r = await peer.done();
      assert.is(r.code, 0, r.stderr + r.stdout);
      assert.is(peer.frames.filter((f) => parse(f).arp?.op === 1 && parse(f).arp.tpa === PEER_IP).length, 1, "the peer was asked for once only");
      const s = stats(r.stdout);
      assert.ok(s.arp_unresolved >= 100 - 63, `waiting entries were replaced, their datagrams dropped and counted (arp_unresolved ${s.arp_unresolved})`);
    } finally {
      peer.kill();
      await peer.done();
    }
  });
}

for (const host of hosts) {
  test(`${host}: a program that never calls the machine still answers ARP and ping (the first frame starts the stack)`, async () => {
    const peer = await startPeer(host, await image("tests/net/programs/stack_idle.ts"));
    try {
      await peer.line(/^up$/m);
      peer.send(eth(BCAST, 0x0806, arp(1, PEER_MAC, PEER_IP, Buffer.alloc(6), OUR_IP)));
      const rep = parse(await peer.next((f) => parse(f).arp?.op === 2, "an ARP reply"));
      await peer.next((f) => parse(f).arp?.op === 1 && parse(f).arp.tpa === OUR_IP, "the announcement, once started");
      for (let i = 1; i <= 3; i++) {
        peer.send(eth(rep.arp.sha, 0x0800, ipv4(PEER_IP, OUR_IP, 1, icmpEcho(9, i, Buffer.alloc(56, i)))));
        await peer.next((f) => parse(f).ip?.icmp?.type === 0 && parse(f).ip.icmp.rest.readUInt16BE(2) === i, `echo reply ${i}`);
      }
      peer.send(eth(rep.arp.sha, 0x88b5, Buffer.alloc(46)));          // "done" (an EtherType for experiments)
      const r = await peer.done();
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, /^replies 3 arp 1 started yes$/m);
    } finally {
      peer.kill();
      await peer.done();
    }
  });
}

test.run();
