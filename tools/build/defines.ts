// defines.ts: the build-time constants a program may set with `--define AAM_NAME=N`, and their
// check. The image reads each as `isDefined(AAM_NAME) ? AAM_NAME : default` (runtime/);
// asc turns `--use AAM_NAME=N` into an i32 constant, so nothing stops a value that the code
// cannot work with: the build refuses it here, before asc runs, naming the define, the value and
// the rule. docs/DEFINES.md shows this table (tests/cli/defines.test.ts keeps the two equal).
//
// Owns: the list of defines, their limits and the messages. Not: passing them to asc (compile.ts)
// nor the command line (tools/cli/aam.ts), which both call checkDefines.

export interface Define {
  name: string;
  meaning: string;
  default: number | "off";   // "off": a switch, on whenever defined (the code tests isDefined only)
  min: number;
  max: number;
  pow2: boolean;              // the code masks with value − 1
  unit: string;
  why: string;                // where the limits come from
}

/** asc's `--use NAME=N` makes an i32 constant: a larger value would wrap. */
export const I32_MAX = 2147483647;

export const DEFINES: readonly Define[] = [
  {
    name: "AAM_CTX_MAX", default: 1 << 20, min: 256, max: 1 << 30, pow2: false, unit: "bytes",
    meaning: "bytes a context may grow to while a blocking stack is saved; a deeper one fails its task with \"context overflow\" (runtime/task/context.ts)",
    why: "contexts double from AAM_CTX_SIZE up to this bound, so a value below AAM_CTX_SIZE means they never grow. " +
      "min: as AAM_CTX_SIZE; max: the 1 GiB memory",
  },
  {
    name: "AAM_CTX_SIZE", default: 4096, min: 256, max: 1 << 20, pow2: false, unit: "bytes",
    meaning: "bytes a context starts with, where a blocked task's stack is saved (runtime/task/context.ts)",
    why: "min: Asyncify's 8-byte header and the runtime's own frames of a blocking call (a sync machine call " +
      "needs 192 bytes); the program's frames come on top (examples/fib.ts needs 272), and a deeper stack makes the " +
      "context grow (AAM_CTX_MAX). max: one per blocked task; 1024 of them fill the 1 GiB memory",
  },
  {
    name: "AAM_DEBUG", default: "off", min: 1, max: 1, pow2: false, unit: "",
    meaning: "invariant checks compiled in, `if (DEBUG) assert(…)`; `--debug` sets it (runtime/rt/layout.ts)",
    why: "a switch: the runtime tests isDefined, so AAM_DEBUG=0 would turn it on too",
  },
  {
    name: "AAM_GRACE_US", default: 200, min: 0, max: I32_MAX, pow2: false, unit: "µs",
    meaning: "how long an idle interface queue stays monitored, so that a call needs no IMS (runtime/machine/imc.ts)",
    why: "0: stop monitoring at the first empty poll (the benchmark's idle mode); max: the i32 range",
  },
  {
    name: "AAM_IDLE_TICKS", default: 100, min: 1, max: I32_MAX, pow2: false, unit: "ticks",
    meaning: "manager ticks a machine must be idle before it gives its cores back, and before a grant may take its last core (runtime/machine/cores.ts)",
    why: "the Machine Manager's hysteresis: a machine keeps a core it used within this many ticks, so a steady load " +
      "leaves the assignment alone (docs/ARCHITECTURE.md, the manager). min: 1 tick; max: the i32 range",
  },
  {
    name: "AAM_INLINE_DEPTH", default: 8, min: 0, max: 64, pow2: false, unit: "joins",
    meaning: "inline joins a core may nest: a task waiting for a task it spawned that has not started runs it on its own stack, through the host's catch frame (runtime/sched/sched.ts i1–i3); 0: joins always suspend",
    why: "each level holds the joiner's frames and the host's call on the core's stack, so a chain of joins runs inline only this deep " +
      "(the rest suspend as before). 0 turns it off (for comparisons); max: 64 levels of frames stay well inside the Node worker's and the QEMU core's stack",
  },
  {
    name: "AAM_RING_SLOTS", default: 256, min: 2, max: 1 << 16, pow2: true, unit: "slots",
    meaning: "each core's task ring in a scheduler; a full ring overflows to the shared inject list (runtime/task/queue.ts)",
    why: "a slot is index & (slots − 1): with any other size a task is handed out twice (`future: completed " +
      "twice`); min: the ring's stated minimum (runtime/task/queue.ts); max: a scheduler allocates a ring per core " +
      "when it is created, 256 KiB each at the max",
  },
  {
    name: "AAM_SPINS", default: 0, min: 0, max: I32_MAX, pow2: false, unit: "rounds",
    meaning: "rounds an idle core polls for work before it parks, and a caller polls for its call's result before it suspends, instead of the measured window; 0: the measured window (runtime/sched/spin.ts; machine/core.ts, sched/sched.ts)",
    why: "0 is the default (the window sched/spin.ts measures); max: the i32 loop counter (the benchmark's spin mode uses 10^9)",
  },
  {
    name: "AAM_STALL_MS", default: 2000, min: 0, max: I32_MAX, pow2: false, unit: "ms",
    meaning: "a task running longer is reported once; the image's environment variable AAM_STALL_MS overrides it (runtime/machine/stall.ts)",
    why: "0: the detector is off; max: the i32 range",
  },
  {
    name: "AAM_STEAL", default: 1, min: 0, max: 1, pow2: false, unit: "",
    meaning: "work stealing in the default scheduler: 1 on, 0 off (runtime/boot.ts)",
    why: "a boolean",
  },
  {
    name: "AAM_TEST_TCP_WAIT_US", default: 0, min: 0, max: 1000000, pow2: false, unit: "µs",
    meaning: "test hook: a TCP call that must wait spins this long between dropping the stack lock and its wait, so that wake-ups race with it (aams/net/tcp.ts waitOn; tests/net/tcp_loop.test.mjs)",
    why: "0: no delay (the default); max: a second, longer than any test's wait needs",
  },
  {
    name: "AAM_TEST_TRAP_LOCKED", default: "off", min: 1, max: 1, pow2: false, unit: "",
    meaning: "test hook: the manager traps, holding its lock, when it grants a core to a machine of minimum 0 (runtime/machine/cores.ts; docs/ARCHITECTURE.md §10)",
    why: "a switch for tests/runtime/trap.test.mjs, compiled out otherwise",
  },
  {
    name: "AAM_TICK_US", default: 1000, min: 1, max: I32_MAX, pow2: false, unit: "µs",
    meaning: "period of the Machine Manager's policy and stall check (runtime/machine/manager.ts)",
    why: "min: with 0 the policy runs at every check and an idle core waiting for a decision parks for 0 ns; " +
      "max: the i32 range (the benchmarks use 10^9 to keep the policy from running)",
  },
  {
    name: "AAM_TRACE", default: "off", min: 1, max: 1, pow2: false, unit: "",
    meaning: "trace points compiled in; `--trace` sets it (runtime/sys/trace.ts; docs/TRACING.md)",
    why: "a switch: the runtime tests isDefined, so AAM_TRACE=0 would turn it on too",
  },
  {
    name: "AAM_TRACE_SLOTS", default: 1 << 17, min: 8, max: 1 << 20, pow2: true, unit: "slots",
    meaning: "each core's trace ring, in 8-byte slots; a task event takes 1, others 4 (runtime/sys/trace.ts)",
    why: "a slot is index & (slots − 1); min: two full records (below 8 a core traps at boot); " +
      "max: 8 MiB per core, filled at boot: 512 MiB on 64 cores",
  },
];

/** A bad `--define`: the CLI reports it as a bad command line (status 2). */
export class DefineError extends Error { name = "DefineError"; }

/** The rule of `d` as the end of a sentence ("must be …"). */
export function ruleOf(d: Define): string {
  const unit = d.unit ? ` ${d.unit}` : "";
  if (d.default === "off") return `is a switch, on whenever it is defined (=0 too): write ${d.name}=1 or leave it out`;
  if (d.min === 0 && d.max === 1) return "must be 0 or 1";
  return `must be ${d.pow2 ? "a power of two" : "a whole number"} between ${d.min} and ${d.max}${unit}`;
}

function isPow2(v: number): boolean { return v > 0 && (v & (v - 1)) === 0; }

/** Check one define; returns its value as asc gets it (decimal, no leading zeros). */
export function checkDefine(name: string, value: string): string {
  const at = `build: --define ${name}=${value}`;
  if (name === "AAM_TRACE_EVENTS") throw new DefineError(`build: --define AAM_TRACE_EVENTS is now AAM_TRACE_SLOTS: the ring's size in 8-byte slots (a task event takes 1, others 4)`);
  const d = DEFINES.find((x) => x.name === name);
  if (!d) throw new DefineError(`${at}: unknown name; known: ${DEFINES.map((x) => x.name).join(", ")} (docs/DEFINES.md)`);
  const v = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(v >= d.min && v <= d.max) || (d.pow2 && !isPow2(v))) throw new DefineError(`${at}: ${ruleOf(d)}`);
  return String(v);
}

/** Check every define (see checkDefine); the same record with values normalised. */
export function checkDefines(defs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(defs)) out[k] = checkDefine(k, v);
  return out;
}
