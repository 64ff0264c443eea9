// sqlite.test.mjs: the sqlite machine (aams/sqlite, the real SQLite 3.53.2 as a foreign machine)
// on both hosts: examples/sql.ts under `aam run` (Node, 2 cores) and `aam boot` (QEMU, 2 cores)
// prints what Debian's sqlite3 tool prints for the same statements (list mode, tab separator),
// fails with SQLite's messages, and tests/aams/programs/sqlite_errors.ts shows bad statements,
// handles and pointers failing their call while the machine goes on and nothing leaks, with the
// same lines on both hosts; tests/aams/programs/sqlite_run.ts does the same for the `run` task
// (a whole statement, or a parameter array of them, in one call). Both programs run from one image,
// programs/sqlite_cases.ts (`errors`, `run`): one build and one kernel instead of two.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { aam, image, prebuild, kernelImage, before } from "../lib/aam.mjs";

const HOSTS = [["node", "run"], ["qemu", "boot"]];
const CASES = "tests/aams/programs/sqlite_cases.ts";
const images = {};

before(test, async () => {
  const programs = ["examples/sql.ts", CASES];
  await prebuild(programs.map((n) => [n]));
  for (const n of programs) {
    images[n] = await image(n);
    await kernelImage(images[n]);                 // the kernel, with SQLite's object
  }
});

const sql = (cmd, text) => aam([cmd, "--cores", "2", images["examples/sql.ts"], "--", text]);
const cli = (text) => spawnSync("sqlite3", [":memory:", "-separator", "\t", text], { encoding: "utf8" });

// Statements whose output both SQLite 3.53 and Debian's 3.40 print alike (3.53 prints floats
// with 17 significant digits, 3.40 with 15: floats go through printf here).
const SCRIPTS = [
  "select 6*7",
  "create table t(a integer primary key, b text, c real, d blob); " +
    "insert into t values (1, 'one', 1.5, x'00ff'), (2, null, -0.25, null), (3, 'tab\there', 1e300, ''), (4, 'ünïcödé', 0, x''); " +
    "select a, b, printf('%.6f', c), typeof(d), length(d), hex(d) from t order by a desc; " +
    "select count(*), sum(a), total(a), min(b), max(b) from t",
  "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) select count(*), sum(i), sum(i * i) from n",
  "create table k(x text); insert into k values ('b'), ('a'), ('c'), ('a'); " +
    "select x, count(*) from k group by x order by x; select group_concat(x, '-') from (select x from k order by x); " +
    "select upper('abc'), length('héllo'), substr('abcdef', 2, 3), replace('aaa', 'a', 'b'), instr('hello', 'll'), 7 / 2, 7 % 3, -7 / 2",
  "create table p(id integer primary key, name text); create table c(pid integer references p(id), v integer); " +
    "insert into p values (1, 'x'), (2, 'y'); insert into c values (1, 10), (1, 20), (2, 5); " +
    "select p.name, sum(c.v), count(*) from p join c on c.pid = p.id group by p.id order by p.name; " +
    "select name from p where id in (select pid from c where v > 8)",
  "select null, 1, 'x' union all select 2, null, 'y'; select json_object('a', 1, 'b', 'two'), json_extract('{\"k\": [1, 2, 3]}', '$.k[1]')",
];

for (const [host, cmd] of HOSTS) {
  test(`${host}: sql.ts prints 42 for "select 6*7"`, async () => {
    const r = await sql(cmd, "select 6*7");
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, "42\n");
  });

  test(`${host}: sql.ts prints what the sqlite3 tool prints for the same statements`, async () => {
    for (const text of SCRIPTS) {
      const want = cli(text);
      assert.is(want.status, 0, `sqlite3: ${want.stderr}`);
      const r = await sql(cmd, text);
      assert.is(r.code, 0, `${text}: ${r.stderr}`);
      assert.is(r.stdout, want.stdout, text);
    }
  });

  test(`${host}: a failing statement ends with SQLite's message and status 1, after the statements before it ran`, async () => {
    const r = await sql(cmd, "select 1; select * from nope; select 2");
    assert.is(r.code, 1);
    assert.is(r.stdout, "1\n");
    assert.ok(r.stderr.includes("sql: sqlite.prepare: prepare: no such table: nope"), r.stderr);
    const u = await sql(cmd, "create table t(k primary key); insert into t values (1); insert into t values (1)");
    assert.is(u.code, 1);
    assert.ok(u.stderr.includes("UNIQUE constraint failed: t.k"), u.stderr);
  });
}

const EXPECTED = `create: ok
insert: ok
duplicate key: sqlite.exec: exec: UNIQUE constraint failed: t.k
not null: sqlite.exec: exec: NOT NULL constraint failed: t.v
no such table: sqlite.exec: exec: no such table: nope
syntax: sqlite.exec: exec: near "selec": syntax error
no such column: sqlite.exec: exec: no such column: nope
the table after the failures: ok
bind index 7 of 1: sqlite.bind_int: bind: column index out of range
row for k = 3: c
column 5 of 1: sqlite.column: column: no column 5 in the current row
a pointer into the guard page: machine 'sqlite' task column, parameter buf: [0x8, +16) is not memory of the calling machine 'main'
a finalized statement: sqlite.step: step: no statement 1
a closed database: sqlite.exec: exec: no open database 1
machine holds: databases 0, statements 0, SQLite memory as before
image heap blocks: as before
`;

test("bad statements, handles and pointers fail their call with SQLite's message or the kernel's refusal; nothing leaks; the same lines on Node and QEMU", async () => {
  for (const [host, cmd] of HOSTS) {
    const r = await aam([cmd, "--cores", "2", images[CASES], "--", "errors"]);
    assert.is(r.code, 0, `${host}: ${r.stderr}`);
    assert.is(r.stdout, EXPECTED, host);
  }
});

const RUN_EXPECTED = `insert 4 rows in one call: rows 0
  3 | 'gamma' | -2.25
  NULL | NULL | NULL
  1 | 'alpha' | 0.5
  2 | 'beta' | NULL
  4 | NULL | 0.0
select keys 3, 99, 1, 2, 4 in one call: rows 4, text bytes 14
params too short: sqlite.run: run: 3 runs of 1 parameters need 3 values, params holds 2
out too short: sqlite.run: run: 5 runs of 3 columns need 15 values, out holds 14
TEXT outside data: sqlite.run: run 0: parameter 2: 10 bytes at offset 10 are outside data (14 bytes)
unknown type: sqlite.run: run 0: parameter 2: unknown type 9
text buffer too small: sqlite.run: run 1: column 1: 5 bytes do not fit the text buffer (5 of 6 bytes used)
a constraint in run 2: sqlite.run: run 2: UNIQUE constraint failed: t.k
rows in t after it (the statement usable again): 6 (rows 1)
machine holds: databases 0, statements 0, SQLite memory as before
image heap blocks: as before
`;

test("run: inserts and point selects of a parameter array in one call give SQLite's rows; short arrays, bad TEXT ranges and types, a small text buffer and a constraint fail the call naming the run; nothing leaks; the same lines on Node and QEMU", async () => {
  for (const [host, cmd] of HOSTS) {
    const r = await aam([cmd, "--cores", "2", images[CASES], "--", "run"]);
    assert.is(r.code, 0, `${host}: ${r.stderr}`);
    assert.is(r.stdout, RUN_EXPECTED, host);
  }
});

test.run();
