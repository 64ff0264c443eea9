// sql.ts: run SQL through the sqlite machine (aams/sqlite: the real SQLite 3.53.2 as a foreign
// machine, in its own memory, on its own core) and print the result rows.
//
//   aam run examples/sql.ts -- "create table t(x); insert into t values (6*7); select x from t"
//
// The arguments after -- are joined with spaces into one text of statements, run in order on an
// in-memory database. Rows are printed as the sqlite3 tool's list mode prints them with a tab as
// separator (`sqlite3 -separator $'\t'`): columns as SQLite's own text, NULL empty. A failing
// statement ends with SQLite's message on stderr and status 1.

import { args, eprintln, stdoutWrite, heapAlloc, heapFree } from "aam";
import { sqliteMachine, SqlDb } from "../aams/sqlite";

export function machines(): void { sqliteMachine(); }

function printRow(p: usize, n: i32, arg: u64): void {
  store<u8>(p + <usize>n, 10);                // the row buffer has room for the newline
  stdoutWrite(p, n + 1);
}

export function main(): i32 {
  let a = args();
  if (a.length < 2) { eprintln("usage: sql \"SQL…\""); return 2; }
  let sql = a[1];
  for (let i = 2; i < a.length; i++) sql += " " + a[i];
  let db = SqlDb.open();
  if (!db) { eprintln("sql: " + SqlDb.lastError); return 1; }
  let ok = db.run(sql, printRow);
  if (!ok) eprintln("sql: " + db.error);
  db.close();
  return ok ? 0 : 1;
}
