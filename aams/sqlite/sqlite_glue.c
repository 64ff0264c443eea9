/* sqlite_glue.c: the tasks of the sqlite machine (sqlite.idl) over the real SQLite 3.53.2, compiled to
 * wasm32 with its own memory (foreign.json; tools/build/foreign.ts builds it).
 *
 * Owns: the database and statement tables (handles 1..SQLITE_MAX_DBS / SQLITE_MAX_STMTS, each
 * statement remembering its database for messages and close), turning SQLite's errors into failed
 * calls with sqlite3_errmsg's text, the row-as-text format of the sqlite3 tool's list mode. Not:
 * SQLite (the unpatched amalgamation), copying or checking arguments (the kernel did that).
 */
#include <stdint.h>
#include <string.h>
#include "sqlite3.h"
#include "aam_foreign.h"
#include "sqlite_igen.h"

static sqlite3 *dbs[SQLITE_MAX_DBS + 1];
static struct { sqlite3_stmt *s; int db; } stmts[SQLITE_MAX_STMTS + 1];
static uint32_t open_dbs, live_stmts;

static sqlite3 *db_of(int32_t h) { return h >= 1 && h <= SQLITE_MAX_DBS ? dbs[h] : NULL; }
static sqlite3_stmt *stmt_of(int32_t h) { return h >= 1 && h <= SQLITE_MAX_STMTS ? stmts[h].s : NULL; }

/* SQLite's message for the last error on the database of statement h (or database db). */
static int fail_db(sqlite3 *db, const char *what) {
  return aam_fail("%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

#define RESULT(r) (*AAM_RESULT(r, int32_t))

AAM_TASK(sqlite_open) int sqlite_open(struct sqlite_open_request *r) {
  char name[256];
  if (r->n >= sizeof name) return aam_fail("open: name of %u bytes (at most 255)", (unsigned)r->n);
  memcpy(name, r->name, r->n);
  name[r->n] = 0;
  if (strcmp(name, ":memory:") != 0 && name[0]) return aam_fail("open: %s: only in-memory databases (\":memory:\") for now", name);
  int init = sqlite3_initialize();           /* this build does not initialise on its own */
  if (init != SQLITE_OK) return aam_fail("open: sqlite3_initialize: %s", sqlite3_errstr(init));
  int h = 1;
  while (h <= SQLITE_MAX_DBS && dbs[h]) h++;
  if (h > SQLITE_MAX_DBS) return aam_fail("open: too many open databases (%d)", SQLITE_MAX_DBS);
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY, NULL);
  if (rc != SQLITE_OK) {
    int e = fail_db(db, "open");
    sqlite3_close(db);
    return e;
  }
  dbs[h] = db;
  open_dbs++;
  RESULT(r) = h;
  return 0;
}

AAM_TASK(sqlite_exec) int sqlite_exec(struct sqlite_exec_request *r) {
  sqlite3 *db = db_of(r->db);
  if (!db) return aam_fail("exec: no open database %d", (int)r->db);
  const char *sql = (const char *)r->sql, *end = sql + r->n;
  while (sql < end) {
    sqlite3_stmt *s = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(db, sql, (int)(end - sql), &s, &tail) != SQLITE_OK) return fail_db(db, "exec");
    if (s) {
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {}
      if (rc != SQLITE_DONE) { int e = fail_db(db, "exec"); sqlite3_finalize(s); return e; }
      sqlite3_finalize(s);
    }
    if (!tail || tail <= sql) break;
    sql = tail;
  }
  RESULT(r) = sqlite3_changes(db);
  return 0;
}

AAM_TASK(sqlite_prepare) int sqlite_prepare(struct sqlite_prepare_request *r) {
  sqlite3 *db = db_of(r->db);
  if (!db) return aam_fail("prepare: no open database %d", (int)r->db);
  sqlite3_stmt *s = NULL;
  const char *tail = NULL;
  if (sqlite3_prepare_v2(db, (const char *)r->sql, (int)r->n, &s, &tail) != SQLITE_OK) return fail_db(db, "prepare");
  r->p->stmt = 0;
  r->p->tail = tail ? (uint32_t)(tail - (const char *)r->sql) : r->n;
  r->p->columns = s ? sqlite3_column_count(s) : 0;
  if (s) {
    int h = 1;
    while (h <= SQLITE_MAX_STMTS && stmts[h].s) h++;
    if (h > SQLITE_MAX_STMTS) { sqlite3_finalize(s); return aam_fail("prepare: too many live statements (%d)", SQLITE_MAX_STMTS); }
    stmts[h].s = s;
    stmts[h].db = r->db;
    live_stmts++;
    r->p->stmt = h;
  }
  RESULT(r) = 0;
  return 0;
}

static int bound(int rc, int32_t h, const char *what) {
  return rc == SQLITE_OK ? 0 : fail_db(dbs[stmts[h].db], what);
}

AAM_TASK(sqlite_bind_int) int sqlite_bind_int(struct sqlite_bind_int_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("bind: no statement %d", (int)r->stmt);
  RESULT(r) = 0;
  return bound(sqlite3_bind_int64(s, r->index, r->value), r->stmt, "bind");
}

AAM_TASK(sqlite_bind_double) int sqlite_bind_double(struct sqlite_bind_double_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("bind: no statement %d", (int)r->stmt);
  RESULT(r) = 0;
  return bound(sqlite3_bind_double(s, r->index, r->value), r->stmt, "bind");
}

AAM_TASK(sqlite_bind_text) int sqlite_bind_text(struct sqlite_bind_text_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("bind: no statement %d", (int)r->stmt);
  RESULT(r) = 0;
  return bound(sqlite3_bind_text(s, r->index, (const char *)r->text, (int)r->n, SQLITE_TRANSIENT), r->stmt, "bind");
}

AAM_TASK(sqlite_bind_null) int sqlite_bind_null(struct sqlite_bind_null_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("bind: no statement %d", (int)r->stmt);
  RESULT(r) = 0;
  return bound(sqlite3_bind_null(s, r->index), r->stmt, "bind");
}

AAM_TASK(sqlite_step) int sqlite_step(struct sqlite_step_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("step: no statement %d", (int)r->stmt);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail_db(dbs[stmts[r->stmt].db], "step");
  RESULT(r) = rc;
  return 0;
}

AAM_TASK(sqlite_column) int sqlite_column(struct sqlite_column_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("column: no statement %d", (int)r->stmt);
  if (r->index < 0 || r->index >= sqlite3_data_count(s)) return aam_fail("column: no column %d in the current row", (int)r->index);
  int t = sqlite3_column_type(s, r->index);
  r->v->type = t;
  r->v->i = sqlite3_column_int64(s, r->index);
  r->v->d = sqlite3_column_double(s, r->index);
  const void *p = t == SQLITE_BLOB ? sqlite3_column_blob(s, r->index) : (const void *)sqlite3_column_text(s, r->index);
  uint32_t n = (uint32_t)sqlite3_column_bytes(s, r->index);
  r->v->bytes = n;
  if (p) memcpy(r->buf, p, n < r->cap ? n : r->cap);
  RESULT(r) = 0;
  return 0;
}

AAM_TASK(sqlite_row_text) int sqlite_row_text(struct sqlite_row_text_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("row: no statement %d", (int)r->stmt);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail_db(dbs[stmts[r->stmt].db], "step");
  uint32_t at = 0;
  if (rc == SQLITE_ROW) {
    int n = sqlite3_column_count(s);
    for (int i = 0; i < n; i++) {
      const void *p = sqlite3_column_type(s, i) == SQLITE_BLOB ? sqlite3_column_blob(s, i) : (const void *)sqlite3_column_text(s, i);
      uint32_t len = (uint32_t)sqlite3_column_bytes(s, i);
      if (at + len + 1 > r->cap) return aam_fail("row: longer than the buffer of %u bytes", (unsigned)r->cap);
      if (i) r->buf[at++] = '\t';
      if (p) memcpy(r->buf + at, p, len);
      at += len;
    }
  }
  *r->bytes = at;
  RESULT(r) = rc;
  return 0;
}

/* Binds value v (its bytes, if any, in data[0, nd)) to parameter i of s. */
static int bind_value(sqlite3_stmt *s, int i, const struct sqlite_value *v, const uint8_t *data, uint32_t nd) {
  switch (v->type) {
  case SQLITE_INTEGER: return sqlite3_bind_int64(s, i, v->i);
  case SQLITE_FLOAT: return sqlite3_bind_double(s, i, v->d);
  case SQLITE_NULL: return sqlite3_bind_null(s, i);
  case SQLITE_TEXT: case SQLITE_BLOB:
    if (v->i < 0 || (uint64_t)v->i + v->bytes > nd) return -1;
    return v->type == SQLITE_TEXT ? sqlite3_bind_text(s, i, (const char *)data + v->i, (int)v->bytes, SQLITE_TRANSIENT)
                                  : sqlite3_bind_blob(s, i, data + v->i, (int)v->bytes, SQLITE_TRANSIENT);
  default: return -2;
  }
}

AAM_TASK(sqlite_run) int sqlite_run(struct sqlite_run_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("run: no statement %d", (int)r->stmt);
  if ((uint64_t)r->runs * r->per > r->np) return aam_fail("run: %u runs of %u parameters need %llu values, params holds %u",
      (unsigned)r->runs, (unsigned)r->per, (unsigned long long)r->runs * r->per, (unsigned)r->np);
  if ((uint64_t)r->runs * r->per_out > r->no) return aam_fail("run: %u runs of %u columns need %llu values, out holds %u",
      (unsigned)r->runs, (unsigned)r->per_out, (unsigned long long)r->runs * r->per_out, (unsigned)r->no);
  sqlite3 *db = dbs[stmts[r->stmt].db];
  uint32_t used = 0;
  int32_t rows = 0;
  for (uint32_t k = 0; k < r->runs; k++) {
    for (uint32_t j = 0; j < r->per; j++) {
      const struct sqlite_value *v = &r->params[k * r->per + j];
      int rc = bind_value(s, (int)j + 1, v, r->data, r->nd);
      if (rc == -1) { sqlite3_reset(s); sqlite3_clear_bindings(s);
        return aam_fail("run %u: parameter %u: %u bytes at offset %lld are outside data (%u bytes)", (unsigned)k, (unsigned)j + 1,
                        (unsigned)v->bytes, (long long)v->i, (unsigned)r->nd); }
      if (rc == -2) { sqlite3_reset(s); sqlite3_clear_bindings(s);
        return aam_fail("run %u: parameter %u: unknown type %d", (unsigned)k, (unsigned)j + 1, (int)v->type); }
      if (rc != SQLITE_OK) { int e = aam_fail("run %u: bind: %s", (unsigned)k, sqlite3_errmsg(db)); sqlite3_reset(s); sqlite3_clear_bindings(s); return e; }
    }
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      int e = aam_fail("run %u: %s", (unsigned)k, sqlite3_errmsg(db));
      sqlite3_reset(s); sqlite3_clear_bindings(s);
      return e;
    }
    for (uint32_t j = 0; j < r->per_out; j++) {
      struct sqlite_value *o = &r->out[k * r->per_out + j];
      memset(o, 0, sizeof *o);
      o->type = SQLITE_NULL;
      if (rc != SQLITE_ROW || (int)j >= sqlite3_data_count(s)) continue;
      int t = sqlite3_column_type(s, (int)j);
      o->type = t;
      if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) { o->i = sqlite3_column_int64(s, (int)j); o->d = sqlite3_column_double(s, (int)j); }
      else if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
        const void *p = t == SQLITE_BLOB ? sqlite3_column_blob(s, (int)j) : (const void *)sqlite3_column_text(s, (int)j);
        uint32_t n = (uint32_t)sqlite3_column_bytes(s, (int)j);
        if ((uint64_t)used + n > r->nt) {
          sqlite3_reset(s); sqlite3_clear_bindings(s);
          return aam_fail("run %u: column %u: %u bytes do not fit the text buffer (%u of %u bytes used)", (unsigned)k, (unsigned)j,
                          (unsigned)n, (unsigned)used, (unsigned)r->nt);
        }
        if (p) memcpy(r->text + used, p, n);
        o->i = used;
        o->bytes = n;
        used += n;
      }
    }
    if (rc == SQLITE_ROW) rows++;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
  *r->used = used;
  RESULT(r) = rows;
  return 0;
}

AAM_TASK(sqlite_reset) int sqlite_reset(struct sqlite_reset_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("reset: no statement %d", (int)r->stmt);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  RESULT(r) = 0;
  return 0;
}

AAM_TASK(sqlite_finalize) int sqlite_finalize(struct sqlite_finalize_request *r) {
  sqlite3_stmt *s = stmt_of(r->stmt);
  if (!s) return aam_fail("finalize: no statement %d", (int)r->stmt);
  sqlite3_finalize(s);
  stmts[r->stmt].s = NULL;
  live_stmts--;
  RESULT(r) = 0;
  return 0;
}

AAM_TASK(sqlite_close) int sqlite_close(struct sqlite_close_request *r) {
  sqlite3 *db = db_of(r->db);
  if (!db) return aam_fail("close: no open database %d", (int)r->db);
  for (int h = 1; h <= SQLITE_MAX_STMTS; h++)
    if (stmts[h].s && stmts[h].db == r->db) { sqlite3_finalize(stmts[h].s); stmts[h].s = NULL; live_stmts--; }
  sqlite3_close(db);
  dbs[r->db] = NULL;
  open_dbs--;
  RESULT(r) = 0;
  return 0;
}

AAM_TASK(sqlite_counts) int sqlite_counts(struct sqlite_counts_request *r) {
  r->c->dbs = open_dbs;
  r->c->stmts = live_stmts;
  r->c->memory = sqlite3_memory_used();
  RESULT(r) = 0;
  return 0;
}
