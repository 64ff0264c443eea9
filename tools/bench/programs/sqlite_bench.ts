// sqlite_bench.ts: the sqlite machine for tools/bench/sqlite.ts. On a fresh in-memory database,
// ROUNDS times: N inserts in one transaction and N point selects by primary key, three ways:
//  calls  one machine call per bind, step, column and reset (4 calls a row);
//  run    one `run` call a row (binds, step, columns and reset inside the machine);
//  batch  one `run` call per BATCH rows (executemany: the same statement over a parameter array).
// Prints one JSON line: per round [insert ns, select ns] for calls, run, batch (6 numbers), and
// checks that every select found its row. Arguments: N ROUNDS.
import { args, println, now, heapAlloc, heapFree } from "aam";
import { sqliteMachine, connectSqlite, SqliteClient, SqlitePrepared, SqliteValue, SQLITE_ROW } from "../../../aams/sqlite";

export function machines(): void { sqliteMachine(); }

// @ts-ignore: decorator
@inline const BATCH: u32 = 100;
// @ts-ignore: decorator
@inline const V_SIZE: usize = 24;            // struct sqlite_value (sqlite.idl)
// @ts-ignore: decorator
@inline const INTEGER: i32 = 1;
// @ts-ignore: decorator
@inline const FLOAT: i32 = 2;

function utf8(s: string): ArrayBuffer { return String.UTF8.encode(s); }
function sql(c: SqliteClient, db: i32, s: string): void { let b = utf8(s); c.execSync(db, changetype<usize>(b), <u32>b.byteLength); }
function prepare(c: SqliteClient, db: i32, s: string, p: SqlitePrepared): i32 {
  let b = utf8(s);
  c.prepareSync(db, changetype<usize>(b), <u32>b.byteLength, p);
  return p.stmt;
}
function setInt(v: usize, x: i64): void { store<i32>(v, INTEGER); store<u32>(v, 0, 4); store<i64>(v, x, 8); }
function setFloat(v: usize, x: f64): void { store<i32>(v, FLOAT); store<u32>(v, 0, 4); store<f64>(v, x, 16); }

export function main(): i32 {
  let a = args();
  let n = I32.parseInt(a[1]), rounds = I32.parseInt(a[2]);
  let c = connectSqlite();
  let mem = utf8(":memory:");
  let prep = SqlitePrepared.alloc();
  let v = SqliteValue.alloc();
  let buf = heapAlloc(64), used = heapAlloc(4);
  let params = heapAlloc(<usize>BATCH * 2 * V_SIZE), outs = heapAlloc(<usize>BATCH * V_SIZE);
  let out = "[";
  for (let r = 0; r < rounds; r++) {
    out += (r ? "," : "") + "[";
    for (let way = 0; way < 3; way++) {
      let db = c.openSync(changetype<usize>(mem), <u32>mem.byteLength);
      sql(c, db, "create table t(k integer primary key, v text, x real)");
      let t0 = now();
      sql(c, db, "begin");
      let s = prepare(c, db, "insert into t values (?1, 'value', ?2)", prep);
      for (let i = 0; i < n;) {
        if (way == 0) {
          c.bindIntSync(s, 1, <i64>i);
          c.bindDoubleSync(s, 2, <f64>i * 0.5);
          c.stepSync(s);
          c.resetSync(s);
          i++;
        } else {
          let k = way == 1 ? 1 : min<i32>(BATCH, n - i);
          for (let j = 0; j < k; j++) { setInt(params + <usize>(2 * j) * V_SIZE, <i64>(i + j)); setFloat(params + <usize>(2 * j + 1) * V_SIZE, <f64>(i + j) * 0.5); }
          c.runSync(s, <u32>k, 2, changetype<SqliteValue>(params), <u32>(2 * k), 0, 0, 0, changetype<SqliteValue>(outs), 0, 0, 0, used);
          i += k;
        }
      }
      c.finalizeSync(s);
      sql(c, db, "commit");
      let t1 = now();
      s = prepare(c, db, "select x from t where k = ?1", prep);
      let sum = 0.0;
      for (let i = 0; i < n;) {
        if (way == 0) {
          c.bindIntSync(s, 1, <i64>((i * 7919) % n));
          if (c.stepSync(s) == SQLITE_ROW) { c.columnSync(s, 0, buf, 64, v); sum += v.d; }
          c.resetSync(s);
          i++;
        } else {
          let k = way == 1 ? 1 : min<i32>(BATCH, n - i);
          for (let j = 0; j < k; j++) setInt(params + <usize>j * V_SIZE, <i64>(((i + j) * 7919) % n));
          c.runSync(s, <u32>k, 1, changetype<SqliteValue>(params), <u32>k, 0, 0, 1, changetype<SqliteValue>(outs), <u32>k, 0, 0, used);
          for (let j = 0; j < k; j++) sum += load<f64>(outs + <usize>j * V_SIZE, 16);
          i += k;
        }
      }
      c.finalizeSync(s);
      let t2 = now();
      c.closeSync(db);
      if (sum != <f64>(n - 1) * <f64>n / 4) { println("selects returned the wrong rows (way " + way.toString() + ")"); return 1; }
      out += (way ? "," : "") + (<i64>(t1 - t0)).toString() + "," + (<i64>(t2 - t1)).toString();
    }
    out += "]";
  }
  println(out + "]");
  heapFree(buf); heapFree(used); heapFree(params); heapFree(outs);
  return 0;
}
