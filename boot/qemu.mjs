// qemu.mjs: build and boot kernels from Node (tests, tools): wraps boot/build.sh and qemu-system-x86_64.
//
// Owns: the QEMU command line for a run (tests; the CLI's is tools/boot/boot.ts), the decoding of
// its exit status.
// Not: what the kernel prints (the callers check that).
//
// Exit status: the kernel ends by writing `code` to isa-debug-exit, and QEMU exits with code << 1 | 1;
// boot() returns that `code`. Any even status (0: reset or triple fault under -no-reboot) gives null.
// Status 1 is also QEMU's own start-up failure: its message is then in stderr.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BOOT_DIR = dirname(fileURLToPath(import.meta.url));
export const QEMU = 'qemu-system-x86_64';

// Single-threaded TCG: on this 2-core host it boots faster and wakes cores 4x faster than MTTCG.
// COM1 is the image's stdout; COM2 (image fd 2 and every kernel message, serial.c) goes to errFile,
// which boot() reads back as `stderr` (a file chardev cannot reopen the socket Node gives as stderr).
export function qemuArgs({ elf, smp = 1, mem = '1G', append = '', errFile = '/dev/stderr' }) {
  return [
    '-accel', 'tcg,thread=single',
    '-M', 'microvm,x-option-roms=off,rtc=off', '-nodefaults', '-no-reboot', '-display', 'none',
    '-serial', 'stdio',
    '-chardev', `file,id=err,path=${errFile},append=on`, '-device', 'isa-serial,chardev=err,iobase=0x2f8,irq=3',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-smp', String(smp), '-m', mem, '-kernel', elf, '-append', append,
  ];
}

export function hasQemu() {
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// image: a .wasm or .wat file, or '--bare'; defines: {NAME: value} for the C files (build.sh -D).
// Throws with build.sh's output on failure.
export function build(image, out, defines = {}) {
  const d = Object.entries(defines).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  execFileSync('sh', [join(BOOT_DIR, 'build.sh'), image, '-o', out, ...d], { stdio: 'pipe' });
  return out;
}

export function boot(elf, { smp = 1, mem = '1G', append = '', timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const tmp = mkdtempSync(join(tmpdir(), 'aam-qemu-'));
    const errFile = join(tmp, 'com2');
    const child = spawn(QEMU, qemuArgs({ elf, smp, mem, append, errFile }), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      stdout = stdout.replace(/\r\n/g, '\n');
      try { stderr = readFileSync(errFile, 'utf8') + stderr; } catch { /* QEMU did not start */ }
      rmSync(tmp, { recursive: true, force: true });
      stderr = stderr.replace(/\r\n/g, '\n');
      const code = status !== null && status % 2 === 1 ? (status - 1) / 2 : null;
      resolve({ status, code, stdout, stderr, timedOut, ms: performance.now() - t0 });
    });
  });
}
