// index.ts: the sqlite machine for programs: declaring it, and running SQL text through it.
//
// Owns: `sqliteMachine()` (the machine "sqlite": kernel-level, one core, served by the foreign
// module built from foreign.json), and `SqlDb`, one database of one client: `run` executes every
// statement of a text and hands each result row to a callback as the sqlite3 tool's list mode
// prints it (columns as SQLite's own text, tab-separated, NULL empty).
// Not: SQLite (sqlite_glue.c over the pinned amalgamation, in the module's own memory); the typed
// calls (prepare, bind*, step, column, …) are the generated client's (sqlite_igen_client.ts).
//
//   export function machines(): void { sqliteMachine(); }
//   let db = SqlDb.open();                         // null + SqlDb.lastError
//   if (!db.run("create table t(x); insert into t values (1); select x from t", onRow)) … db.error
//   db.close();
// A failed statement fails its call with SQLite's message ("sqlite.prepare: prepare: no such
// table: t"); the machine and the database go on.

import { defineMachine, Machine, heapAlloc, heapFree } from "aam";
import { connectSqlite, SqliteClient, SqlitePrepared, SqliteCounts } from "./sqlite_igen_client";
import { offerSqliteForeign } from "./sqlite_igen_server";

export { SqliteClient, SqlitePrepared, SqliteValue, SqliteCounts, connectSqlite } from "./sqlite_igen_client";

// The IDL's #defines (sqlite.idl; igen generates no constants).
export const SQLITE_ROW: i32 = 100;
export const SQLITE_DONE: i32 = 101;

// @ts-ignore: decorator
@inline const OBJ_HEADER: usize = 16;        // asc's object header in front of a string or an object
// @ts-ignore: decorator
@inline const ROW_CAP: u32 = 1 << 20;        // the longest row run() takes

/** Declares the machine "sqlite" (call from machines()). */
export function sqliteMachine(): Machine {
  return offerSqliteForeign(defineMachine("sqlite", { kernel: true, maxCores: 1 }));
}

/** Receives each result row: `n` bytes of text at `p` (valid during the call), no newline. */
export type SqlRow = (p: usize, n: i32, arg: u64) => void;

function own(old: string, msg: string): string {
  if (old.length) heapFree(changetype<usize>(old) - OBJ_HEADER);
  return msg.length ? msg.slice(0) : "";
}

// The message of the last failed open, owned here: in static data, not a module-level let (those
// are per core, and the task that reads it may have moved to another core since).
const LAST_ERROR = memory.data(4);
function lastError(): string { let p = load<u32>(LAST_ERROR); return p ? changetype<string>(p) : ""; }

/** One database of the sqlite machine. */
export class SqlDb {
  client: SqliteClient;
  handle: i32;
  /** Why the last run failed ("" if it did not): SQLite's message. */
  error: string = "";

  constructor(client: SqliteClient, handle: i32) { this.client = client; this.handle = handle; }

  static get lastError(): string { return lastError(); }

  /** A new in-memory database, or null (SqlDb.lastError says why). */
  static open(client: SqliteClient | null = null): SqlDb | null {
    let c = client ? client : connectSqlite();
    let name = String.UTF8.encode(":memory:");
    let call = c.open(changetype<usize>(name), <u32>name.byteLength);
    call.wait();
    heapFree(changetype<usize>(name) - OBJ_HEADER);
    if (call.failed) { store<u32>(LAST_ERROR, changetype<u32>(own(lastError(), call.error))); call.release(); return null; }
    let h = call.result;
    call.release();
    return new SqlDb(c, h);
  }

  /** Runs every statement of `sql`, giving each result row to `onRow`. False at the first
   *  statement that fails (this.error says why); the statements before it took effect. */
  run(sql: string, onRow: SqlRow, arg: u64 = 0): bool {
    let text = String.UTF8.encode(sql);
    let base = changetype<usize>(text), n = <u32>text.byteLength;
    let prep = SqlitePrepared.alloc();
    let row = heapAlloc(ROW_CAP), bytes = heapAlloc(4);
    let off: u32 = 0, ok = true;
    while (ok && off < n) {
      let p = this.client.prepare(this.handle, base + off, n - off, prep);
      p.wait();
      if (p.failed) { this.error = own(this.error, p.error); p.release(); ok = false; break; }
      p.release();
      let stmt = prep.stmt, took = prep.tail;
      if (stmt) {
        while (true) {
          let r = this.client.rowText(stmt, row, ROW_CAP, bytes);
          r.wait();
          if (r.failed) { this.error = own(this.error, r.error); r.release(); ok = false; break; }
          let status = r.result;
          r.release();
          if (status != SQLITE_ROW) break;
          onRow(row, <i32>load<u32>(bytes), arg);
        }
        this.client.finalizeSync(stmt);
      }
      if (!took) break;
      off += took;
    }
    heapFree(row);
    heapFree(bytes);
    heapFree(changetype<usize>(prep));
    heapFree(base - OBJ_HEADER);
    return ok;
  }

  /** Closes the database (its statements too); the SqlDb is gone after this. */
  close(): void {
    this.client.closeSync(this.handle);
    own(this.error, "");
    heapFree(changetype<usize>(this) - OBJ_HEADER);
  }
}

/** What the machine holds now (databases, statements, SQLite's memory): for leak checks. */
export function sqliteCounts(client: SqliteClient): SqliteCounts {
  let c = SqliteCounts.alloc();
  client.countsSync(c);
  return c;
}
