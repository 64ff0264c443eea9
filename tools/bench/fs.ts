// fs.ts: `aam bench fs`: the file-system machine (aams/fs) on the block machine (aams/block,
// virtio) on a disk image, on the Node host and under QEMU, next to the same operations by Linux's
// tools on the same image, measured in the same run: mtools (mcopy/mtype: a FAT driver in user
// space, one process per operation; this VM's kernel has no vfat module, so there is no loop
// mount), and `dd` on the raw image file as the device's ceiling.
// Owns: the rounds, the baselines, MB/s and files/s. Not: the in-image timing
// (programs/fs_bench.ts), statistics (stats.ts).
//
// A round makes a fresh 64 MiB FAT32 image (aam mkdisk) per row and measures: sequential write of
// MIB MiB (64 KiB writes, then sync: the data is on the image file), sequential read of it back,
// SMALL files of 4 KiB created, written and closed, then one sync. The guest's figures come from
// its own clock around the calls (start-up excluded); the tools' from the host's clock around the
// process (start-up included: what a user of mcopy pays).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cachedBuild } from "../build/cache";
import { summarize, type Stats } from "./stats";

const PROGRAM = "tools/bench/programs/fs_bench.ts";

export interface FsRow { id: string; impl: string; op: "write" | "read" | "small"; unit: "MB/s" | "files/s"; value: Stats }
export interface FsBench { date: string; cpus: number; load_average: number; mib: number; small: number; rounds: number; rows: FsRow[]; notes: string[] }

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer } = {}): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, env: opts.env ?? process.env, input: opts.input });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: status ${r.status}: ${(r.stderr || "").trim()}`);
  return { ms, stdout: r.stdout };
}

export async function benchFs(root: string, quick: boolean, out: (s: string) => void): Promise<FsBench> {
  const mib = quick ? 4 : 16, small = quick ? 50 : 200, rounds = quick ? 1 : 3;
  const aam = path.join(root, "tools/bin/aam.js");
  const wasm = (await cachedBuild({ entry: path.join(root, PROGRAM), root, defines: {} })).wasm;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "aam-bench-fs-"));
  const image = path.join(work, "fs_bench.wasm");
  fs.writeFileSync(image, wasm);
  const seq = path.join(work, "seq.bin"), smallDir = path.join(work, "SMALL");
  fs.writeFileSync(seq, Buffer.alloc(mib << 20, 0x5a));
  fs.mkdirSync(smallDir);
  for (let i = 0; i < small; i++) fs.writeFileSync(path.join(smallDir, `F${i}.DAT`), Buffer.alloc(4096, i & 255));
  const mt = { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } };
  const samples = new Map<string, { impl: string; op: FsRow["op"]; xs: number[] }>();
  const add = (id: string, impl: string, op: FsRow["op"], x: number): void => {
    const s = samples.get(id) ?? { impl, op, xs: [] };
    s.xs.push(x);
    samples.set(id, s);
  };
  const mb = (ms: number): number => (mib * 1.048576) / (ms / 1e3);
  const fresh = (): string => {
    const img = path.join(work, "d.img");
    fs.rmSync(img, { force: true });
    sh(process.execPath, [aam, "mkdisk", img, "--size", "64M", "--fat", "32"]);
    return img;
  };
  const notes: string[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [host, cmd] of [["node", "run"], ["qemu", "boot"]]) {
        const img = fresh();
        const p = sh(process.execPath, [aam, cmd, image, "--cores", "2", "--disk", img, "--", String(mib), String(small)]);
        const [w, rd, sm] = JSON.parse(p.stdout.trim().split("\n").pop()!) as number[];
        const impl = `machine fs on machine block (${host === "node" ? "Node host, device model" : "QEMU TCG, virtio-mmio"})`;
        add(`aam/${host}/write`, impl, "write", mb(w / 1e6));
        add(`aam/${host}/read`, impl, "read", mb(rd / 1e6));
        add(`aam/${host}/small`, impl, "small", small / (sm / 1e9));
      }
      let img = fresh();
      add("mtools/write", "mtools (mcopy, one process)", "write", mb(sh("mcopy", ["-i", img, seq, "::/SEQ.BIN"], mt).ms));
      add("mtools/read", "mtools (mtype, one process)", "read", mb(sh("sh", ["-c", `mtype -i '${img}' ::/SEQ.BIN > /dev/null`], mt).ms));
      add("mtools/small", "mtools (mcopy -s, one process)", "small", small / (sh("mcopy", ["-s", "-i", img, smallDir, "::/"], mt).ms / 1e3));
      img = fresh();
      add("dd/write", "dd on the raw image (conv=notrunc,fdatasync)", "write", mb(sh("dd", [`if=${seq}`, `of=${img}`, "bs=64K", "seek=256", "conv=notrunc,fdatasync", "status=none"]).ms));
      add("dd/read", "dd on the raw image", "read", mb(sh("dd", [`if=${img}`, "of=/dev/null", "bs=64K", `count=${mib * 16}`, "status=none"]).ms));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const rows: FsRow[] = [...samples.entries()].map(([id, s]) => ({ id, impl: s.impl, op: s.op, unit: s.op === "small" ? "files/s" : "MB/s", value: summarize(s.xs) }));
  const load = os.loadavg()[0];
  out(`## File system: sequential ${mib} MiB and ${small} files of 4 KiB (${rounds} round${rounds > 1 ? "s" : ""}, fresh 64 MiB FAT32 image each; load average ${load.toFixed(2)}, ${os.cpus().length} CPUs)\n\n`);
  out("| implementation | operation | median | mean ± sd | p99 | vs dd (the device's ceiling) | vs mtools |\n|---|---|---|---|---|---|---|\n");
  const f = (x: number): string => x >= 100 ? x.toFixed(0) : x.toFixed(1);
  for (const x of rows) {
    const dd = rows.find((y) => y.id === `dd/${x.op}`), mtr = rows.find((y) => y.id === `mtools/${x.op}`);
    const ratio = (y?: FsRow): string => (y && y !== x ? `${(x.value.median / y.value.median).toFixed(2)}×` : "—");
    out(`| ${x.impl} | ${x.op === "small" ? "create+write+close 4 KiB, then sync" : `sequential ${x.op}`} | ${f(x.value.median)} ${x.unit} | ${f(x.value.mean)} ± ${f(x.value.sd)} | ${f(x.value.p99)} | ${ratio(dd)} | ${ratio(mtr)} |\n`);
  }
  out("\n");
  return { date: new Date().toISOString().slice(0, 10), cpus: os.cpus().length, load_average: load, mib, small, rounds, rows, notes };
}
