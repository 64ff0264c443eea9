// sqlite_errors.ts: bad statements, bad handles and bad pointers to the sqlite machine fail their
// call with SQLite's message or the kernel's refusal; the machine and the database go on; closing
// gives back every database, statement and byte. Prints one line per case (sqlite.test.mjs).
import { println, heapAlloc, heapFree, heapBlocksInUse, coreCount } from "aam";
import { sqliteMachine, connectSqlite, sqliteCounts, SqlitePrepared, SqliteValue, SQLITE_ROW, SqliteClient } from "../../../aams/sqlite";

export function machines(): void { sqliteMachine(); }

function blocksInUse(): i64 {
  let k: i64 = 0;
  for (let c = 0; c < coreCount(); c++) k += <i64>heapBlocksInUse(c);
  return k;
}

// Runs `sql` on `db` (exec); the error, or "ok". The text's bytes are freed here.
function exec(c: SqliteClient, db: i32, sql: string): string {
  let b = String.UTF8.encode(sql);
  let call = c.exec(db, changetype<usize>(b), <u32>b.byteLength);
  call.wait();
  let r = call.failed ? call.error.slice(0) : "ok";
  call.release();
  heapFree(changetype<usize>(b) - 16);
  return r;
}

// The same, keeping nothing.
function run(c: SqliteClient, db: i32, sql: string): void {
  let b = String.UTF8.encode(sql);
  let call = c.exec(db, changetype<usize>(b), <u32>b.byteLength);
  call.wait();
  call.release();
  heapFree(changetype<usize>(b) - 16);
}

function open(c: SqliteClient): i32 {
  let m = String.UTF8.encode(":memory:");
  let db = c.openSync(changetype<usize>(m), <u32>m.byteLength);
  heapFree(changetype<usize>(m) - 16);
  return db;
}

// Every failing case once more, printing nothing (for the leak check).
function quiet(c: SqliteClient): void {
  let db = open(c);
  run(c, db, "create table t(k integer primary key, v)");
  run(c, db, "insert into t values (1, 'a'); insert into t values (1, 'b')");
  run(c, db, "select * from nope");
  run(c, db, "selec 1");
  let call = c.step(4242);
  call.wait();
  call.release();
  c.closeSync(db);
}

export function main(): i32 {
  let c = connectSqlite();
  let db = open(c);
  println("create: " + exec(c, db, "create table t(k integer primary key, v text not null)"));
  println("insert: " + exec(c, db, "insert into t values (1, 'a'), (2, 'b')"));
  println("duplicate key: " + exec(c, db, "insert into t values (1, 'c')"));
  println("not null: " + exec(c, db, "insert into t values (3, null)"));
  println("no such table: " + exec(c, db, "select * from nope"));
  println("syntax: " + exec(c, db, "selec 1"));
  println("no such column: " + exec(c, db, "select nope from t"));
  println("the table after the failures: " + exec(c, db, "insert into t values (3, 'c')"));
  let prep = SqlitePrepared.alloc();
  let sql = String.UTF8.encode("select v from t where k = ?1");
  c.prepareSync(db, changetype<usize>(sql), <u32>sql.byteLength, prep);
  let s = prep.stmt;
  let call = c.bindInt(s, 7, 1);
  call.wait();
  println("bind index 7 of 1: " + call.error);
  call.release();
  c.bindIntSync(s, 1, 3);
  let v = SqliteValue.alloc();
  let buf = heapAlloc(16);
  let st = c.stepSync(s);
  c.columnSync(s, 0, buf, 16, v);
  println("row for k = 3: " + (st == SQLITE_ROW ? String.UTF8.decodeUnsafe(buf, v.bytes) : "none"));
  let col = c.column(s, 5, buf, 16, v);
  col.wait();
  println("column 5 of 1: " + col.error);
  col.release();
  col = c.column(s, 0, 8, 16, v);
  col.wait();
  println("a pointer into the guard page: " + col.error);
  col.release();
  c.finalizeSync(s);
  let gone = c.step(s);
  gone.wait();
  println("a finalized statement: " + gone.error);
  gone.release();
  c.closeSync(db);
  let closed = c.exec(db, changetype<usize>(sql), 4);
  closed.wait();
  println("a closed database: " + closed.error);
  closed.release();
  heapFree(changetype<usize>(sql) - 16);
  heapFree(buf);
  heapFree(changetype<usize>(v));
  heapFree(changetype<usize>(prep));

  quiet(c);                                            // warm up
  let k0 = sqliteCounts(c);
  let mem0 = k0.memory_;
  heapFree(changetype<usize>(k0));
  let blocks = blocksInUse();
  for (let i = 0; i < 3; i++) quiet(c);
  let now = blocksInUse();
  let k = sqliteCounts(c);
  println("machine holds: databases " + k.dbs.toString() + ", statements " + k.stmts.toString() + ", SQLite memory " + (k.memory_ == mem0 ? "as before" : "changed by " + (k.memory_ - mem0).toString()));
  println("image heap blocks: " + (now == blocks ? "as before" : "changed by " + (now - blocks).toString()));
  return 0;
}
