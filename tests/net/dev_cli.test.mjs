// dev_cli.test.mjs: `--net`, `--ip`, `--gw` and `--forward` (tools/cli/net.ts). Question: does every
// bad value or combination stop aam with status 2 and one line naming it, before anything is
// built or run? The program named does not exist as an image yet: a refusal that came after a
// build would take seconds and print more than one line, which the checks below would see.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { aam, before } from "../lib/aam.mjs";

const PROG = "tests/net/programs/dev_echo.ts";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-netcli-"));
const file = path.join(dir, "plain");
fs.writeFileSync(file, "x");
const sock = path.join(dir, "s.sock");
const srv = net.createServer(() => {});
before(test, () => new Promise((r) => srv.listen(sock, r)));
test.after(() => { srv.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const BAD = [
  [["run", PROG, "--net", "user"], /--net user is QEMU's user-mode network/],
  [["trace", PROG, "-o", path.join(dir, "t.json"), "--net", "user"], /--net user is QEMU's user-mode network/],
  [["run", PROG, "--net", "ethernet"], /--net takes tap:NAME, stream:PATH or user, got 'ethernet'/],
  [["run", PROG, "--net", "tap:"], /'' is not an interface name/],
  [["run", PROG, "--net", "tap:a/b"], /'a\/b' is not an interface name/],
  [["run", PROG, "--net", "tap:waytoolonganame0"], /not an interface name/],
  [["run", PROG, "--net", "stream:" + path.join(dir, "none")], /no such socket/],
  [["run", PROG, "--net", "stream:" + file], /not a unix socket/],
  [["run", PROG, "--net", "tap:t0", "--net", "tap:t1"], /one --net at most/],
  [["run", PROG, "--ip", "10.0.0.2/24"], /--ip configures a network: add --net/],
  [["boot", PROG, "--forward", "8080:80"], /--forward configures a network/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "10.0.0.2"], /--ip takes A\.B\.C\.D\/N/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "10.0.0.300/24"], /--ip takes A\.B\.C\.D\/N/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "10.0.0.2/0"], /--ip takes A\.B\.C\.D\/N/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "10.0.0.2/33"], /--ip takes A\.B\.C\.D\/N/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "10.0.0.255/24"], /broadcast address/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "224.0.0.1/24"], /not a unicast address/],
  [["run", PROG, "--net", "stream:" + sock, "--gw", "10.0.0.1"], /--gw needs --ip/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "10.0.0.2/24", "--gw", "10.0.1.1"], /--gw 10\.0\.1\.1 is not another address/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "10.0.0.2/24", "--gw", "10.0.0.2"], /is not another address/],
  [["run", PROG, "--net", "stream:" + sock, "--ip", "10.0.0.2/24", "--gw", "gateway"], /--gw takes A\.B\.C\.D/],
  [["run", PROG, "--net", "tap:t0", "--forward", "8080:80"], /--forward is for --net user/],
  [["boot", PROG, "--net", "user", "--forward", "8080"], /--forward takes HOSTPORT:GUESTPORT/],
  [["boot", PROG, "--net", "user", "--forward", "0:80"], /ports 1\.\.65535/],
  [["boot", PROG, "--net", "user", "--forward", "8080:65536"], /ports 1\.\.65535/],
  [["boot", PROG, "--net", "user", "--forward", "8080:80", "--forward", "8080:81"], /host port 8080 is forwarded twice/],
  [["boot", PROG, "--net"], /--net needs a value/],
];

test("bad network options stop aam with status 2 and one line, before any build", async () => {
  for (const [args, re] of BAD) {
    const r = await aam([...args, "--no-cache"]);
    assert.is(r.code, 2, `${args.join(" ")}: status ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, re, args.join(" "));
    assert.is(r.stderr.trim().split("\n").length, 1, `${args.join(" ")}: one line\n${r.stderr}`);
    assert.is(r.stdout, "");
  }
});

test("aam help documents --net, --ip, --gw and --forward", async () => {
  const r = await aam(["help"]);
  for (const o of ["--net tap:NAME|stream:PATH|user", "--ip A.B.C.D/N", "--gw A.B.C.D", "--forward"]) assert.ok(r.stdout.includes(o), o);
});

test.run();
