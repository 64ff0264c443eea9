// sqlite_run.ts: the sqlite machine's `run` task (one call binds, steps, reads columns and resets,
// once or for a whole parameter array): inserts with INTEGER, TEXT, FLOAT and NULL parameters,
// a batch of point selects with rows and misses, and each way a `run` call fails (arrays too short,
// a TEXT outside data, an unknown type, a text buffer too small, a constraint in the third run)
// with the runs before the failure kept and the statement usable after it. Prints one line per
// case (sqlite.test.mjs); the last two lines are the leak check.
import { println, heapAlloc, heapFree, heapBlocksInUse, coreCount } from "aam";
import { sqliteMachine, connectSqlite, sqliteCounts, SqlitePrepared, SqliteValue, SqliteClient } from "../../../aams/sqlite";

export function machines(): void { sqliteMachine(); }

// @ts-ignore: decorator
@inline const V: usize = 24;                 // struct sqlite_value: +0 type +4 bytes +8 i +16 d

function blocksInUse(): i64 {
  let k: i64 = 0;
  for (let c = 0; c < coreCount(); c++) k += <i64>heapBlocksInUse(c);
  return k;
}
function set(v: usize, type: i32, bytes: u32, i: i64, d: f64): void {
  store<i32>(v, type); store<u32>(v, bytes, 4); store<i64>(v, i, 8); store<f64>(v, d, 16);
}
function prepare(c: SqliteClient, db: i32, s: string): i32 {
  let b = String.UTF8.encode(s), p = SqlitePrepared.alloc();
  c.prepareSync(db, changetype<usize>(b), <u32>b.byteLength, p);
  let h = p.stmt;
  heapFree(changetype<usize>(p));
  heapFree(changetype<usize>(b) - 16);
  return h;
}
function exec(c: SqliteClient, db: i32, s: string): void {
  let b = String.UTF8.encode(s);
  c.execSync(db, changetype<usize>(b), <u32>b.byteLength);
  heapFree(changetype<usize>(b) - 16);
}
// One value of out as text (TEXT from the text buffer).
function show(v: usize, text: usize): string {
  let t = load<i32>(v);
  if (t == 1) return load<i64>(v, 8).toString();
  if (t == 2) return load<f64>(v, 16).toString();
  if (t == 3) return "'" + String.UTF8.decodeUnsafe(text + <usize>load<i64>(v, 8), load<u32>(v, 4)) + "'";
  return t == 5 ? "NULL" : "type " + t.toString();
}

const DATA = "alphabetagamma";

// @ts-ignore: decorator
@inline const QUIET: i32 = 0;
// @ts-ignore: decorator
@inline const RESULT: i32 = 1;
// @ts-ignore: decorator
@inline const COLUMNS: i32 = 2;

// A `run` call; its result as a line ("rows N" or the error), printing the columns (COLUMNS)
// first; QUIET: nothing, no string built.
function run(c: SqliteClient, s: i32, runs: u32, per: u32, params: usize, np: u32, data: usize, nd: u32,
             perOut: u32, out: usize, no: u32, text: usize, nt: u32, used: usize, mode: i32): string {
  let call = c.run(s, runs, per, changetype<SqliteValue>(params), np, data, nd, perOut, changetype<SqliteValue>(out), no, text, nt, used);
  call.wait();
  if (mode == QUIET) { call.release(); return ""; }   // the leak check's rounds build no strings
  let r = call.failed ? call.error.slice(0) : "rows " + call.result.toString();
  if (!call.failed && mode == COLUMNS) {
    for (let k: u32 = 0; k < runs; k++) {
      let line = "  ";
      for (let j: u32 = 0; j < perOut; j++) line += (j ? " | " : "") + show(out + <usize>(k * perOut + j) * V, text);
      println(line);
    }
  }
  call.release();
  return r;
}

function cases(c: SqliteClient, print: bool): void {
  let name = String.UTF8.encode(":memory:");
  let db = c.openSync(changetype<usize>(name), 8);
  heapFree(changetype<usize>(name) - 16);
  exec(c, db, "create table t(k integer primary key, v text, x real)");
  let data = heapAlloc(64), params = heapAlloc(16 * V), out = heapAlloc(16 * V), text = heapAlloc(64), used = heapAlloc(4);
  String.UTF8.encodeUnsafe(changetype<usize>(DATA), DATA.length, data);
  let ins = prepare(c, db, "insert into t values (?1, ?2, ?3)");
  // k, v, x for 4 rows: TEXT slices of DATA, a NULL, a float
  set(params + 0 * V, 1, 0, 1, 0); set(params + 1 * V, 3, 5, 0, 0); set(params + 2 * V, 2, 0, 0, 0.5);
  set(params + 3 * V, 1, 0, 2, 0); set(params + 4 * V, 3, 4, 5, 0); set(params + 5 * V, 5, 0, 0, 0);
  set(params + 6 * V, 1, 0, 3, 0); set(params + 7 * V, 3, 5, 9, 0); set(params + 8 * V, 2, 0, 0, -2.25);
  set(params + 9 * V, 1, 0, 4, 0); set(params + 10 * V, 5, 0, 0, 0); set(params + 11 * V, 1, 0, 0, 7);   // x = INTEGER 0 (i), not 7
  let r = run(c, ins, 4, 3, params, 12, data, 14, 0, out, 0, text, 0, used, print ? RESULT : QUIET);
  if (print) println("insert 4 rows in one call: " + r);
  let sel = prepare(c, db, "select k, v, x from t where k = ?1");
  set(params + 0 * V, 1, 0, 3, 0); set(params + 1 * V, 1, 0, 99, 0); set(params + 2 * V, 1, 0, 1, 0);
  set(params + 3 * V, 1, 0, 2, 0); set(params + 4 * V, 1, 0, 4, 0);
  r = run(c, sel, 5, 1, params, 5, 0, 0, 3, out, 15, text, 64, used, print ? COLUMNS : QUIET);
  if (print) println("select keys 3, 99, 1, 2, 4 in one call: " + r + ", text bytes " + load<u32>(used).toString());
  r = run(c, sel, 3, 1, params, 2, 0, 0, 3, out, 15, text, 64, used, print ? RESULT : QUIET);
  if (print) println("params too short: " + r);
  r = run(c, sel, 5, 1, params, 5, 0, 0, 3, out, 14, text, 64, used, print ? RESULT : QUIET);
  if (print) println("out too short: " + r);
  set(params + 0 * V, 1, 0, 7, 0); set(params + 1 * V, 3, 10, 10, 0); set(params + 2 * V, 5, 0, 0, 0);
  r = run(c, ins, 1, 3, params, 3, data, 14, 0, out, 0, text, 0, used, print ? RESULT : QUIET);
  if (print) println("TEXT outside data: " + r);
  set(params + 1 * V, 9, 0, 0, 0);
  r = run(c, ins, 1, 3, params, 3, data, 14, 0, out, 0, text, 0, used, print ? RESULT : QUIET);
  if (print) println("unknown type: " + r);
  set(params + 0 * V, 1, 0, 1, 0); set(params + 1 * V, 1, 0, 3, 0);
  r = run(c, sel, 2, 1, params, 2, 0, 0, 3, out, 6, text, 6, used, print ? RESULT : QUIET);
  if (print) println("text buffer too small: " + r);
  // runs 0 and 1 insert 10 and 11, run 2 repeats key 1
  set(params + 0 * V, 1, 0, 10, 0); set(params + 1 * V, 5, 0, 0, 0); set(params + 2 * V, 5, 0, 0, 0);
  set(params + 3 * V, 1, 0, 11, 0); set(params + 4 * V, 5, 0, 0, 0); set(params + 5 * V, 5, 0, 0, 0);
  set(params + 6 * V, 1, 0, 1, 0); set(params + 7 * V, 5, 0, 0, 0); set(params + 8 * V, 5, 0, 0, 0);
  r = run(c, ins, 3, 3, params, 9, data, 14, 0, out, 0, text, 0, used, print ? RESULT : QUIET);
  if (print) println("a constraint in run 2: " + r);
  let cnt = prepare(c, db, "select count(*) from t");
  r = run(c, cnt, 1, 0, params, 0, 0, 0, 1, out, 1, text, 0, used, print ? RESULT : QUIET);
  if (print) println("rows in t after it (the statement usable again): " + show(out, text) + " (" + r + ")");
  c.finalizeSync(ins); c.finalizeSync(sel); c.finalizeSync(cnt);
  c.closeSync(db);
  heapFree(data); heapFree(params); heapFree(out); heapFree(text); heapFree(used);
}

export function main(): i32 {
  let c = connectSqlite();
  cases(c, true);
  cases(c, false);                                     // warm up for the leak check
  let k0 = sqliteCounts(c);
  let mem0 = k0.memory_;
  heapFree(changetype<usize>(k0));
  let blocks = blocksInUse();
  for (let i = 0; i < 3; i++) cases(c, false);
  let now = blocksInUse();
  let k = sqliteCounts(c);
  println("machine holds: databases " + k.dbs.toString() + ", statements " + k.stmts.toString() + ", SQLite memory " + (k.memory_ == mem0 ? "as before" : "changed by " + (k.memory_ - mem0).toString()));
  println("image heap blocks: " + (now == blocks ? "as before" : "changed by " + (now - blocks).toString()));
  heapFree(changetype<usize>(k));
  return 0;
}
