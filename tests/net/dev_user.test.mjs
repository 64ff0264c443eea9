// dev_user.test.mjs: `aam boot --net user --forward H:G` (QEMU's slirp) with the driver alone
// (tests/net/programs/dev_user.ts). Questions: does the image get slirp's address and gateway in
// its environment, does slirp answer its ARP request, and does a connection to 127.0.0.1:H reach
// the image as a SYN to port G? Deterministic: the test connects only after the program printed
// the gateway's MAC (slirp is up and knows ours); the program exits on the SYN.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as net from "node:net";
import { spawn } from "node:child_process";
import { AAM, ROOT, HANG_MS, image, prebuild, before } from "../lib/aam.mjs";

const PROG = "tests/net/programs/dev_user.ts";
let img;
before(test, async () => { await prebuild([[PROG]]); img = await image(PROG); });

/** A TCP port of 127.0.0.1 that nothing listens on now. */
function freePort() {
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); }); });
}

function bootUser(extra, onLine) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [AAM, "boot", img, "--cores", "2", "--net", "user", ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => { stdout += d; for (const l of String(d).split("\n")) if (l) onLine(l); });
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => { p.kill("SIGKILL"); reject(new Error(`aam boot hung\n${stdout}\n${stderr}`)); }, HANG_MS);
    p.on("close", (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

test("slirp's address reaches the image, answers its ARP, and a forwarded connection arrives as a SYN to the guest port", async () => {
  const host = await freePort();
  let client = null;
  const r = await bootUser(["--forward", `${host}:8080`], (line) => {
    if (!client && line.includes("is at")) { client = net.connect(host, "127.0.0.1"); client.on("error", () => {}); }
  });
  client?.destroy();
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(r.stdout, "dev_user: ip 10.0.2.15/24, gateway 10.0.2.2 is at 52:55:0a:00:02:02\ndev_user: a SYN to port 8080\n");
});

test("with --ip and --gw, slirp serves that network", async () => {
  const host = await freePort();
  let client = null;
  const r = await bootUser(["--ip", "192.168.50.9/24", "--gw", "192.168.50.1", "--forward", `${host}:80`], (line) => {
    if (!client && line.includes("is at")) { client = net.connect(host, "127.0.0.1"); client.on("error", () => {}); }
  });
  client?.destroy();
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^dev_user: ip 192\.168\.50\.9\/24, gateway 192\.168\.50\.1 is at [0-9a-f:]{17}\ndev_user: a SYN to port 80\n$/);
});

test.run();
