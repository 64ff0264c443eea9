// callgraph.ts: the call graph of an unoptimised image (binaryen's text) and the functions that
// can reach a blocking point: the Asyncify onlylist that asyncify.ts hands to binaryen.
//
// Owns: reading calls, call_indirects and the function table out of the text; the walk backwards
// from the blocking point, where a call_indirect may call any function in the table and where
// the scheduler's dispatch (runtime/sched/dispatch.ts `dispatch`) is a wall (the bottom of every
// task's stack); the hook sites below. Not: running Asyncify or anything else on the module
// (asyncify.ts). No binaryen import: tests/cli/asyncify.test.ts runs it on texts of its own.
//
// AAM_ASYNCIFY_WHY=<function>[;<function>…] in a build's environment (it turns the image cache
// off: a cached image is not linked again) prints why each is instrumented (the chain of calls from it to the
// blocking point), or that it is not.
//
// Hook sites: the scheduler reaches the machine layer through a hook record (runtime/sched/sched.ts
// HOOKS, installed by runtime/boot.ts schedHooks) with call_indirect, and a call_indirect counts
// as a call of every function in the table, task handlers among them, which can block. So
// makeReady (it may call the ACTIVATE hook) and everything that calls it (spawn, a future's
// completion) were instrumented for nothing: every call in them paid Asyncify's state checks
// (measured: a local spawn+join ~67 → ~60 ns); so were the manager's assignment changes, through
// the device router that machine/irq.ts irqReroute calls the same way. HOOK_SITES names each such
// caller and the one function ever installed there; the graph takes that call_indirect as a call
// of that function only. tests/cli/asyncify.test.ts checks the table against the only places
// that install them (boot.ts's schedHooks call, irq.ts irqAttach).

const DISPATCH = /^~lib\/aam\/sched\/dispatch\/dispatch$/;   // runtime/sched/dispatch.ts, compiled as package "aam"

/** Hook site → the function boot.ts installs there (the only one its call_indirect calls). */
export const HOOK_SITES: ReadonlyMap<string, string> = new Map([
  ["~lib/aam/sched/sched/schedActivate", "~lib/aam/machine/manager/managerActivate"],        // H_ACTIVATE
  ["~lib/aam/sched/sched/schedCallDone", "~lib/aam/machine/imc/callComplete"],               // H_CALL_DONE
  ["~lib/aam/sched/sched/schedSpinFor", "~lib/aam/machine/imc/imcResults"],                  // H_RESULTS
  ["~lib/aam/sched/sched/schedHandOff", "~lib/aam/machine/imc/imcHandoff"],                  // H_HANDOFF
  ["~lib/aam/sched/sched/schedHandedRelease", "~lib/aam/machine/imc/imcHandedRelease"],      // H_HANDED_RELEASE
  ["~lib/aam/machine/irq/irqReroute", "~lib/aam/machine/irq/route"],                         // E_ROUTER (irqAttach)
]);

interface Graph { funcs: Set<string>; calls: Map<string, Set<string>>; indirect: Set<string>; table: Set<string> }

// Function names as binaryen prints them: $name or $"name with \"escapes\"".
const NAME = String.raw`\$("(?:[^"\\]|\\.)*"|[^\s()]+)`;
function unquote(n: string): string {
  return n.startsWith('"') ? JSON.parse(n) as string : n;
}

function callGraph(text: string, sites: ReadonlyMap<string, string>): Graph {
  const g: Graph = { funcs: new Set(), calls: new Map(), indirect: new Set(), table: new Set() };
  let cur: string | null = null;
  const funcRe = new RegExp(String.raw`^ \(func ${NAME}`);
  const callRe = new RegExp(String.raw`\((?:return_)?call ${NAME}`, "g");
  const refRe = new RegExp(NAME, "g");
  for (const line of text.split("\n")) {
    const f = funcRe.exec(line);
    if (f) { cur = unquote(f[1]); g.funcs.add(cur); g.calls.set(cur, new Set()); continue; }
    if (line.startsWith(" (elem")) {
      for (const m of line.slice(line.indexOf(")") + 1).matchAll(refRe)) g.table.add(unquote(m[1]));
      continue;
    }
    if (!cur) continue;
    if (line.includes("call_indirect")) g.indirect.add(cur);
    if (line.includes("(ref.func")) for (const m of line.matchAll(refRe)) g.table.add(unquote(m[1]));
    for (const m of line.matchAll(callRe)) g.calls.get(cur)!.add(unquote(m[1]));
  }
  // A hook site calls its hook only; a hook that is not in the image was never installed (its
  // installer is not there either: an image without a device driver has no irq.ts route), so
  // the site's call_indirect never runs.
  for (const [site, hook] of sites) {
    if (!g.indirect.has(site)) continue;
    g.indirect.delete(site);
    if (g.funcs.has(hook)) g.calls.get(site)!.add(hook);
  }
  return g;
}

/** Functions that can reach `target` without passing through the scheduler's dispatch (`only`),
 *  and for each the function it calls on its way there (`why`). */
export function reachingWhy(text: string, target: string, sites: ReadonlyMap<string, string> = HOOK_SITES): { only: Set<string>; why: Map<string, string> } {
  const g = callGraph(text, sites);
  const callers = new Map<string, Set<string>>();
  const edge = (from: string, to: string): void => {
    if (!callers.has(to)) callers.set(to, new Set());
    callers.get(to)!.add(from);
  };
  for (const [f, cs] of g.calls) for (const c of cs) edge(f, c);
  for (const f of g.indirect) for (const t of g.table) edge(f, t);
  const out = new Set<string>();
  const why = new Map<string, string>();
  const work = [target];
  while (work.length) {
    const n = work.pop()!;
    for (const c of callers.get(n) ?? []) {
      if (out.has(c) || DISPATCH.test(c)) continue;
      out.add(c);
      why.set(c, n);
      work.push(c);
    }
  }
  return { only: out, why };
}

/** reachingWhy's `only`. */
export function reaching(text: string, target: string, sites: ReadonlyMap<string, string> = HOOK_SITES): Set<string> {
  return reachingWhy(text, target, sites).only;
}
