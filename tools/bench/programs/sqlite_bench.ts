// sqlite_bench.ts: the sqlite machine for tools/bench/foreign.ts: N inserts in one transaction
// (one prepared statement: bind, step, reset per row) and N point selects by primary key
// (bind, step, column, reset), ROUNDS times on a fresh in-memory database. Every step is a
// machine call. Prints one JSON line: [[insert ns, select ns], …]. Arguments: N ROUNDS.
import { args, println, now, heapAlloc, heapFree } from "aam";
import { sqliteMachine, connectSqlite, SqlitePrepared, SqliteValue, SQLITE_ROW } from "../../../aams/sqlite";

export function machines(): void { sqliteMachine(); }

function utf8(s: string): ArrayBuffer { return String.UTF8.encode(s); }

export function main(): i32 {
  let a = args();
  let n = I32.parseInt(a[1]), rounds = I32.parseInt(a[2]);
  let c = connectSqlite();
  let mem = utf8(":memory:");
  let prep = SqlitePrepared.alloc();
  let v = SqliteValue.alloc();
  let buf = heapAlloc(64);
  let out = "[";
  for (let r = 0; r < rounds; r++) {
    let db = c.openSync(changetype<usize>(mem), <u32>mem.byteLength);
    let ddl = utf8("create table t(k integer primary key, v text, x real)");
    c.execSync(db, changetype<usize>(ddl), <u32>ddl.byteLength);
    let ins = utf8("insert into t values (?1, 'value', ?2)");
    let sel = utf8("select x from t where k = ?1");
    let begin = utf8("begin"), commit = utf8("commit");
    let t0 = now();
    c.execSync(db, changetype<usize>(begin), <u32>begin.byteLength);
    c.prepareSync(db, changetype<usize>(ins), <u32>ins.byteLength, prep);
    let s = prep.stmt;
    for (let i = 0; i < n; i++) {
      c.bindIntSync(s, 1, <i64>i);
      c.bindDoubleSync(s, 2, <f64>i * 0.5);
      c.stepSync(s);
      c.resetSync(s);
    }
    c.finalizeSync(s);
    c.execSync(db, changetype<usize>(commit), <u32>commit.byteLength);
    let t1 = now();
    c.prepareSync(db, changetype<usize>(sel), <u32>sel.byteLength, prep);
    s = prep.stmt;
    let sum = 0.0;
    for (let i = 0; i < n; i++) {
      c.bindIntSync(s, 1, <i64>((i * 7919) % n));
      if (c.stepSync(s) == SQLITE_ROW) { c.columnSync(s, 0, buf, 64, v); sum += v.d; }
      c.resetSync(s);
    }
    c.finalizeSync(s);
    let t2 = now();
    c.closeSync(db);
    if (sum != <f64>(n - 1) * <f64>n / 4) { println("selects returned the wrong rows"); return 1; }
    out += (r ? "," : "") + "[" + (<i64>(t1 - t0)).toString() + "," + (<i64>(t2 - t1)).toString() + "]";
  }
  println(out + "]");
  heapFree(buf);
  return 0;
}
