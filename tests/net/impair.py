#!/usr/bin/env python3
"""impair.py: a lossy wire between Linux's stack and the guest, for the network tests.

Owns: relaying Ethernet frames between a TAP (Linux's side, inside the test's namespace) and
the guest's host (`aam run|boot --net stream:PATH`: 4-byte big-endian length + frame, QEMU's
-netdev stream framing), dropping, delaying and reordering IPv4 frames in both directions with a
seeded random generator, and counting what it did. Not: the namespace (tests/lib/netns.mjs).

Why not `tc qdisc … netem`: this VM's kernel is built without CONFIG_NET_SCH_NETEM (and without
act_gact), so netem is refused ("Specified qdisc kind is unknown"); netns.mjs uses netem where the
kernel has it. The relay does the same job in user space, deterministically (a seed), in both
directions, and reports counts so that a test can check that the impairment happened.

Protocol:
  1. open the TAP (TUNSETIFF, IFF_TAP|IFF_NO_PI), listen on the unix socket PATH, print "ready";
  2. accept the host's one connection; relay until either side closes or SIGTERM;
  3. per IPv4 frame and direction: drop with probability LOSS; else, with probability REORDER,
     hold it back until the next frame of that direction has passed (or HOLD_MS passed);
     every frame is delivered DELAY_MS after it arrived (order kept apart from reordering);
     ARP and other frames pass untouched (netem would drop them too: we keep the test about TCP);
  4. at the end (and every second) write the counters as one JSON line to STATS;
  5. a line on stdin "set LOSS REORDER DELAY_MS" changes the impairment from the next frame on and
     is answered "ok K" (K: the count of sets so far) once in force; "stats" is answered with the
     counters as one JSON line.

Usage: impair.py TAP PATH STATS [--loss P] [--reorder P] [--delay MS] [--seed N]
"""
import fcntl, json, os, random, select, signal, socket, struct, sys, time, heapq

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
HOLD_MS = 50


def main():
    a = sys.argv[1:]
    tap, path, stats_path = a[0], a[1], a[2]
    opt = {"--loss": 0.0, "--reorder": 0.0, "--delay": 0.0, "--seed": 1.0}
    for i in range(3, len(a), 2):
        opt[a[i]] = float(a[i + 1])
    rnd = random.Random(int(opt["--seed"]))
    cfg = {"loss": opt["--loss"], "reorder": opt["--reorder"], "delay": opt["--delay"] / 1e3, "sets": 0}

    # step 1
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
    os.set_blocking(fd, False)
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    print("ready", flush=True)

    # step 2
    conn, _ = srv.accept()
    conn.setblocking(False)
    stats = {d: {"frames": 0, "dropped": 0, "reordered": 0, "delivered": 0} for d in ("to_guest", "to_linux")}
    held = {"to_guest": None, "to_linux": None}          # (frame, release time)
    queue = []                                            # heap of (time, seq, dir, frame)
    seq = [0]
    out_guest = bytearray()                               # pending bytes on the stream
    inbuf = bytearray()
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))

    def write_stats():
        with open(stats_path + ".tmp", "w") as f:
            f.write(json.dumps(stats) + "\n")
        os.replace(stats_path + ".tmp", stats_path)

    def schedule(d, frame, t):
        seq[0] += 1
        heapq.heappush(queue, (t, seq[0], d, frame))

    def arrive(d, frame):                                # step 3
        s = stats[d]
        s["frames"] += 1
        now = time.monotonic()
        loss, reorder, delay = cfg["loss"], cfg["reorder"], cfg["delay"]
        ipv4 = len(frame) >= 14 and frame[12:14] == b"\x08\x00"
        if ipv4 and loss and rnd.random() < loss:
            s["dropped"] += 1
            return
        h = held[d]
        if ipv4 and reorder and h is None and rnd.random() < reorder:
            held[d] = (frame, now + HOLD_MS / 1e3)
            s["reordered"] += 1
            return
        schedule(d, frame, now + delay)
        if h is not None:
            held[d] = None
            schedule(d, h[0], now + delay)

    def command(line):                                   # step 5
        w = line.split()
        if w and w[0] == "set" and len(w) == 4:
            cfg.update(loss=float(w[1]), reorder=float(w[2]), delay=float(w[3]) / 1e3, sets=cfg["sets"] + 1)
            print(f"ok {cfg['sets']}", flush=True)
        elif w == ["stats"]:
            print(json.dumps(stats), flush=True)

    def deliver(d, frame):
        stats[d]["delivered"] += 1
        if d == "to_guest":
            out_guest.extend(struct.pack(">I", len(frame)) + frame)
        else:
            try:
                os.write(fd, frame)
            except (BlockingIOError, OSError):
                stats[d]["dropped"] += 1                  # the TAP's queue is full: a drop, as on a wire

    last_stats = 0.0
    stdin_open = [True]
    while running[0]:
        now = time.monotonic()
        for d in held:
            if held[d] is not None and held[d][1] <= now:
                schedule(d, held[d][0], now)
                held[d] = None
        while queue and queue[0][0] <= now:
            _, _, d, frame = heapq.heappop(queue)
            deliver(d, frame)
        if out_guest:
            try:
                n = conn.send(out_guest)
                del out_guest[:n]
            except BlockingIOError:
                pass
            except OSError:
                break
        if now - last_stats >= 1.0:
            write_stats()
            last_stats = now
        wait = 0.2
        if queue:
            wait = min(wait, max(0.0, queue[0][0] - now))
        if any(h is not None for h in held.values()):
            wait = min(wait, 0.005)
        r, w, _ = select.select([fd, conn] + ([sys.stdin] if stdin_open[0] else []), [conn] if out_guest else [], [], wait)
        if sys.stdin in r:
            line = sys.stdin.readline()
            if line:
                command(line)
            else:
                stdin_open[0] = False
        if fd in r:
            for _ in range(64):
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                arrive("to_guest", frame)
        if conn in r:
            try:
                data = conn.recv(1 << 20)
            except BlockingIOError:
                data = b"?"
            if not data:
                break
            if data != b"?":
                inbuf.extend(data)
                while len(inbuf) >= 4:
                    n = struct.unpack(">I", inbuf[:4])[0]
                    if len(inbuf) < 4 + n:
                        break
                    arrive("to_linux", bytes(inbuf[4:4 + n]))
                    del inbuf[:4 + n]
    write_stats()                                         # step 4


if __name__ == "__main__":
    main()
