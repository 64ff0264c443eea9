# dev_tap_peer.py: the namespace side of tests/net/dev_tap.test.mjs. Bound to TAP argv[1] with an
# AF_PACKET socket: waits (at most argv[3] seconds) for the image's "hello" frame (EtherType
# 0x88b5, broadcast), sends argv[2] frames of that type to the image's MAC, 60..1514 bytes, then
# collects their echoes (the same frames, addresses swapped) until each came back or the time is
# up. Prints one JSON line: {"hello": true, "sent": N, "ok": K, "dup": D, "bad": B}.
import json, socket, sys, time

tap, n, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((tap, 0))
mine = bytes([2, 0, 0, 0, 0, 9])
end = time.monotonic() + limit
res = {"hello": False, "sent": 0, "ok": 0, "dup": 0, "bad": 0}

def recv():
    left = end - time.monotonic()
    if left <= 0:
        return None
    s.settimeout(left)
    try:
        return s.recv(65536)
    except socket.timeout:
        return None

mac = None
while mac is None:
    f = recv()
    if f is None:
        print(json.dumps(res)); sys.exit(0)
    if len(f) >= 19 and f[12:14] == b"\x88\xb5" and f[14:19] == b"hello":
        mac = f[6:12]
res["hello"] = True
frames = []
for i in range(n):
    size = [60, 1514, 61 + i * 37 % 1400][i % 3]
    body = bytes(((k * 7 + i * 13) & 255) for k in range(16, size))
    frames.append(mac + mine + b"\x88\xb5" + i.to_bytes(2, "big") + body)
for f in frames:
    s.send(f)
    res["sent"] += 1
seen = set()
while len(seen) < n:
    f = recv()
    if f is None:
        break
    if len(f) < 16 or f[12:14] != b"\x88\xb5" or f[6:12] != mac or f[0:6] != mine:
        continue                                   # our own frames going out, or others
    i = int.from_bytes(f[14:16], "big")
    want = frames[i][6:12] + frames[i][0:6] + frames[i][12:] if i < n else None
    if i in seen:
        res["dup"] += 1
    elif f != want:
        res["bad"] += 1
    else:
        res["ok"] += 1
    seen.add(i)
print(json.dumps(res))
