// validate.ts: checks a Chrome trace-event JSON (the object form, {traceEvents: [...]}) for the
// mistakes that make Perfetto or chrome://tracing drop or misdraw events. The tests run every
// converted trace through it; `aam trace` may too.
//
// Owns: the rules, one problem string per broken rule and event:
//   1. every event has ph, name, and numeric pid, tid; every non-metadata event a finite ts ≥ 0
//   2. per phase: X has dur ≥ 0; C has args whose values are all finite numbers; s/t/f have an id;
//      M is one of the names the format knows, with args; i/I has s ∈ {g, p, t} if present
//   3. B/E balance per (pid, tid): no E without an open B, no B left open at the end
//   4. per core (tid), timestamps in array order never go back (metadata excepted)
//   5. X slices on one (pid, tid) nest: none ends inside another and past its end (Perfetto
//      drops partial overlaps), in whole ns as Perfetto reads µs (trunc(v * 1000));
//      thread-scoped instants count as 0-length slices, as in Perfetto
//   6. flows: every id has exactly one s and one f, the f not before the s; s, t and an f with
//      bp "e" sit inside a slice of their (pid, tid), the slice Perfetto binds them to
// Not: the converter (chrome.ts). Accepts any trace, not only ours.

const PHASES = new Set(["B", "E", "X", "i", "I", "C", "s", "t", "f", "M", "b", "e", "n", "N", "O", "D", "P"]);
const META = new Set(["process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index", "num_cpus"]);

export function validateChrome(json: unknown): string[] {
  const problems: string[] = [];
  const events = Array.isArray(json) ? json : (json as any)?.traceEvents;
  if (!Array.isArray(events)) return ["no traceEvents array"];
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const open = new Map<string, { name: string; i: number }[]>();     // "pid/tid" → B stack
  const lastTs = new Map<number, { ts: number; i: number }>();        // tid → last timestamp seen
  const flows = new Map<string, { s: number[]; f: number[]; sTs: number; fTs: number }>();
  const nest = new Map<string, number[]>();                          // "pid/tid" → ends (ns) of the enclosing slices
  const ns = (us: number) => Math.trunc(us * 1000);                  // as Perfetto reads a µs value
  const enclose = (key: string, ts: number, end: number, strict: boolean) => {
    let st = nest.get(key); if (!st) nest.set(key, st = []);
    while (st.length && (strict ? st[st.length - 1] < ts : st[st.length - 1] <= ts)) st.pop();
    return st;
  };

  events.forEach((e: any, i: number) => {
    const at = `event ${i} (${e?.ph ?? "?"} ${JSON.stringify(e?.name ?? "")})`;
    const bad = (what: string) => problems.push(`${at}: ${what}`);
    if (!e || typeof e !== "object") return bad("not an object");
    if (typeof e.ph !== "string" || !PHASES.has(e.ph)) return bad(`unknown phase ${JSON.stringify(e.ph)}`);
    if (typeof e.name !== "string") bad("missing name");
    if (!num(e.pid)) bad("missing pid");
    if (!num(e.tid)) bad("missing tid");
    if (e.ph === "M") {
      if (!META.has(e.name)) bad(`unknown metadata ${e.name}`);
      if (!e.args || typeof e.args !== "object") bad("metadata without args");
      return;
    }
    if (!num(e.ts)) return bad("missing ts");
    if (e.ts < 0) bad(`negative ts ${e.ts}`);
    const key = `${e.pid}/${e.tid}`;
    switch (e.ph) {
      case "X": {
        if (!num(e.dur) || e.dur < 0) { bad(`X needs dur ≥ 0, has ${JSON.stringify(e.dur)}`); break; }
        const end = ns(e.ts) + ns(e.dur), st = enclose(key, ns(e.ts), end, false);
        if (st.length && end > st[st.length - 1]) bad(`X overlaps the end of its enclosing slice at ${st[st.length - 1] / 1000} on pid ${e.pid} tid ${e.tid}`);
        st.push(end);
        break;
      }
      case "B": { let st = open.get(key); if (!st) open.set(key, st = []); st.push({ name: e.name, i }); break; }
      case "E": { const st = open.get(key); if (!st?.length) bad(`E without an open B on pid ${e.pid} tid ${e.tid}`); else st.pop(); break; }
      case "C": {
        if (!e.args || typeof e.args !== "object" || !Object.keys(e.args).length) bad("counter without args");
        else for (const [k, v] of Object.entries(e.args)) if (!num(v)) bad(`counter ${k} is not a number: ${JSON.stringify(v)}`);
        break;
      }
      case "i": case "I":
        if (e.s !== undefined && !["g", "p", "t"].includes(e.s)) bad(`instant scope ${JSON.stringify(e.s)}`);
        else if (e.s === undefined || e.s === "t") enclose(key, ns(e.ts), ns(e.ts), false).push(ns(e.ts));
        break;
      case "s": case "t": case "f": {
        if (e.id === undefined || e.id === null || e.id === "") { bad("flow without id"); break; }
        const k = `${e.cat ?? ""}:${e.id}`;
        let fl = flows.get(k); if (!fl) flows.set(k, fl = { s: [], f: [], sTs: 0, fTs: 0 });
        if (e.ph === "s") { fl.s.push(i); fl.sTs = e.ts; }
        if (e.ph === "f") { fl.f.push(i); fl.fTs = e.ts; }
        if ((e.ph !== "f" || e.bp === "e") && !enclose(key, ns(e.ts), ns(e.ts), true).length) bad(`flow ${e.id} has no enclosing slice on pid ${e.pid} tid ${e.tid}`);
        break;
      }
    }
    const lt = lastTs.get(e.tid);
    if (lt && e.ts < lt.ts) bad(`ts ${e.ts} goes back on tid ${e.tid} (event ${lt.i} was at ${lt.ts})`);
    else lastTs.set(e.tid, { ts: e.ts, i });
  });

  for (const [key, st] of open) for (const b of st) problems.push(`event ${b.i} (B ${JSON.stringify(b.name)}): never ended on pid/tid ${key}`);
  for (const [k, fl] of flows) {
    if (fl.s.length !== 1 || fl.f.length !== 1) problems.push(`flow ${k}: ${fl.s.length} start(s), ${fl.f.length} finish(es); needs one each`);
    else if (fl.fTs < fl.sTs) problems.push(`flow ${k}: finishes at ${fl.fTs} before it starts at ${fl.sTs}`);
  }
  return problems;
}
