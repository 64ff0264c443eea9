// errors.test.ts: one test per error class, asserting the exact file:line:col and message.
//
// Each test asks "what does igen say when ...?" and compares `file:line:col: message`; the
// first test also checks the full rendering with the source line and the caret.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorOf, run } from './helpers';
import { fnv1a32 } from '../../igen/ids';
import { MAX_INCLUDE_DEPTH, MAX_NESTING } from '../../igen/limits';

const idl = (text: string, more: Record<string, string> = {}) => errorOf({ 'a.idl': text, ...more });

test('the rendering: file:line:col: message, the source line, a caret under the column', () => {
  const r = run({ 'a.idl': 'machine m {\n\ttask t(int x)\n}\n' });
  if (r.ok) return assert.unreachable();
  assert.is(r.errors.length, 1);
  const e = r.errors[0];
  assert.equal([e.file, e.line, e.col, e.reason], ['a.idl', 3, 1, "expected ';' after task 't', found '}'"]);
  assert.is(e.format(), "a.idl:3:1: expected ';' after task 't', found '}'\n}\n^");
  assert.ok(e instanceof Error && e.name === 'IgenError');
});

test('a machine with more tasks than the 64 method slots of its task table', () => {
  const tasks = Array.from({ length: 65 }, (_, i) => `task t${i}();`).join('\n');
  assert.is(idl(`machine m {\n${tasks}\n}`), "a.idl:66:6: machine 'm' has 65 tasks; a machine serves at most 64 (one per method slot)");
  assert.ok(run({ 'a.idl': `machine m {\n${tasks.split('\n').slice(0, 64).join('\n')}\n}` }).ok);
});

test('a syntax error in C', () => {
  assert.is(idl('struct s { int a }'), "a.idl:1:18: expected ';' after field 'a', found '}'");
  assert.is(idl('int x = ;\n int 3;'), "a.idl:2:6: expected a name, found '3'");
  assert.is(idl('/* never closed'), 'a.idl:1:1: unterminated comment');
  assert.is(idl('int a;\n  $x;'), "a.idl:2:3: unexpected character '$'");
  assert.is(idl('"abc'), 'a.idl:1:1: unterminated string literal');
});

test('a syntax error in a machine', () => {
  assert.is(idl('machine m { int x; }'), "a.idl:1:13: expected 'task' or '}' in machine 'm', found 'int'");
  assert.is(idl('machine m [[kernal]] {}'), "a.idl:1:13: unknown machine attribute 'kernal' (expected kernel or user)");
  assert.is(idl('machine m { task t(in int *p [[length(1)]]); }'), "a.idl:1:32: unknown parameter attribute 'length' (expected len)");
  assert.is(idl('machine m {\n  task t();'), "a.idl:1:11: unterminated machine 'm' (no closing '}')");
  assert.is(idl('machine m { task t(in const); }'), "a.idl:1:28: expected a type, found ')'");
});

test('an unknown type', () => {
  assert.is(idl('machine m { task t(fd_t fd); }'), "a.idl:1:20: unknown type name 'fd_t'");
  assert.is(idl('#include "b.h"\n', { 'b.h': 'struct s {\n  FILE *f;\n};\n' }), "b.h:2:3: unknown type name 'FILE'");
  assert.is(idl('machine m { task t() -> ssize_t; }'), "a.idl:1:25: unknown type name 'ssize_t'");
});

test('an incomplete type where a complete one is needed', () => {
  assert.is(idl('struct s;\nmachine m { task t(struct s v); }'), "a.idl:2:29: parameter 'v' of task m.t has incomplete type 'struct s'");
  assert.is(idl('machine m { task t(in struct p *x [[len(1)]]); }'), "a.idl:1:33: the data pointed to by parameter 'x' of task m.t has incomplete type 'struct p'");
  assert.is(idl('struct s { struct s inner; };'), "a.idl:1:21: field 'inner' has incomplete type 'struct s'");
});

test('an unsupported C construct, named, at the construct', () => {
  assert.is(idl('union u { int i; float f; };\nmachine m { task t(union u v); }'), "a.idl:1:1: unsupported C construct: union (needed by parameter 'v' of task m.t)");
  assert.is(idl('struct s {\n  unsigned a : 3;\n};\nmachine m { task t(struct s v); }'), "a.idl:2:14: unsupported C construct: bit-field (needed by parameter 'v' of task m.t)");
  assert.is(idl('machine m { task t(void (*cb)(int)); }'), "a.idl:1:25: unsupported C construct: function pointer (parameter 'cb' of task m.t)");
  assert.is(idl('typedef void (*cb_t)(void);\nstruct s { cb_t cb; };\nmachine m { task t(struct s v); }'), "a.idl:1:14: unsupported C construct: function pointer (needed by parameter 'v' of task m.t)");
  assert.is(idl('machine m { task log(int level, ...); }'), 'a.idl:1:33: unsupported C construct: variadic task (a task takes a fixed list of parameters)');
  assert.is(idl('machine m { task t() -> long double; }'), "a.idl:1:25: unsupported C construct: long double (needed by the result of task m.t)");
  assert.is(idl('struct s { int n; char data[]; };\nmachine m { task t(struct s v); }'), "a.idl:1:28: unsupported C construct: flexible array member (needed by parameter 'v' of task m.t)");
  assert.is(idl('struct s { int a; } __attribute__((packed));'), 'a.idl:1:21: unsupported C construct: __attribute__');
  assert.is(idl('#pragma pack(1)\nstruct s { char c; int i; };'), 'a.idl:1:1: unsupported C construct: #pragma pack (it changes record layouts)');
  assert.is(idl('struct s { _Alignas(8) int a; };'), 'a.idl:1:12: unsupported C construct: _Alignas');
  assert.is(idl('#define CAT(a, b) a##b\nint CAT(x, y);'), "a.idl:2:5: unsupported C construct: '#' or '##' in the body of macro 'CAT'");
});

test('unused unsupported constructs in a header are no error', () => {
  const r = run({
    'a.idl': '#include "h.h"\nmachine m { task t(struct ok v, in struct holder *h [[len(1)]]); }',
    'h.h': 'union u { int i; };\nstruct bits { int a : 1; };\ntypedef void (*cb)(int, ...);\nint printf(const char *fmt, ...);\nstruct ok { int a; };\nstruct holder { union u *p; };\n',
  });
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.format()).join('\n'));
});

test('a duplicate task, machine or parameter', () => {
  assert.is(idl('machine m {\n  task go();\n  task go(int x);\n}'), "a.idl:3:8: duplicate task 'go' in machine 'm' (first declared at a.idl:2:8)");
  assert.is(idl('machine m {}\nmachine m [[kernel]] {}'), "a.idl:2:9: duplicate machine 'm' (first declared at a.idl:1:9)");
  assert.is(idl('machine m { task t(int a, int a); }'), "a.idl:1:31: duplicate parameter 'a' in task m.t");
});

test('a missing length annotation', () => {
  assert.is(idl('machine m { task t(in const char *s); }'), "a.idl:1:35: pointer parameter 's' needs a length: [[len(param)]] or [[len(count)]]");
});

test('a bad length annotation', () => {
  assert.is(idl('machine m { task t(in char *s [[len(n)]]); }'), "a.idl:1:37: [[len(n)]]: task m.t has no parameter 'n'");
  assert.is(idl('machine m { task t(in char *s [[len(d)]], out char *d [[len(1)]]); }'), "a.idl:1:37: [[len(d)]]: 'd' is a pointer; a length must be an integer parameter");
  assert.is(idl('machine m { task t(in char *s [[len(s)]]); }'), "a.idl:1:37: [[len(s)]]: 's' is a pointer; a length must be an integer parameter");
  assert.is(idl('machine m { task t(in char *s [[len(f)]], float f); }'), "a.idl:1:37: [[len(f)]]: 'f' has type 'float'; a length must be an integer parameter");
  assert.is(idl('struct v { int n; };\nmachine m { task t(in char *s [[len(x)]], struct v x); }'), "a.idl:2:37: [[len(x)]]: 'x' has type 'struct v'; a length must be an integer parameter");
  assert.is(idl('machine m { task t(int n [[len(n)]]); }'), "a.idl:1:32: [[len]] on non-pointer parameter 'n' (only pointer parameters have a length)");
  assert.is(idl('#define N 0\nmachine m { task t(in char *s [[len(N)]]); }'), 'a.idl:2:37: [[len(0)]]: a constant length must be at least 1');
  assert.is(idl('machine m { task t(in char *s [[len()]]); }'), 'a.idl:1:33: [[len]] needs a parameter name or a constant, e.g. [[len(n)]]');
  assert.is(idl('machine m { task t(in char *s [[len(1)]] [[len(2)]]); }'), "a.idl:1:44: parameter 's' has two [[len]] annotations");
});

test('a missing or wrong direction', () => {
  assert.is(idl('machine m { task t(char *s [[len(4)]]); }'), "a.idl:1:20: pointer parameter 's' needs a direction: in, out or inout");
  assert.is(idl('machine m { task t(in int n); }'), "a.idl:1:20: direction 'in' on non-pointer parameter 'n' (only pointer parameters have a direction)");
  assert.is(idl('machine m { task t(inout const char *s [[len(4)]]); }'), "a.idl:1:20: 'inout' parameter 's' points to const data");
});

test('a parameter or result that cannot cross a machine boundary', () => {
  assert.is(idl('machine m { task t(in char **argv [[len(n)]], int n); }'), "a.idl:1:30: parameter 'argv' of task m.t points to a pointer: unsupported (nested pointers are neither validated nor copied)");
  assert.is(idl('machine m { task t(uint8_t key[16]); }'), "a.idl:1:28: array parameter 'key': pass a pointer with [[len(16)]] or wrap the array in a struct");
  assert.is(idl('machine m { task t() -> char *; }'), 'a.idl:1:25: the result of task m.t cannot be a pointer; return data through an out parameter');
  assert.is(idl('machine m { task t(void v); }'), "a.idl:1:25: parameter 'v' of task m.t has type 'void'");
  assert.is(idl('struct r { char *buf; };\nmachine fs [[kernel]] { task t(struct r v); }'), "a.idl:2:41: kernel-level machine 'fs' cannot take parameter 'v' of task fs.t: it contains pointer field 'struct r.buf', which would reach the kernel unvalidated; pass the data as its own pointer parameter");
  assert.ok(run({ 'a.idl': 'struct r { char *buf; };\nmachine app { task t(struct r v); }' }).ok, 'a user-level machine may take pointer fields');
});

test('a bad include path', () => {
  assert.is(idl('#include "nope.h"'), "a.idl:1:10: cannot find include file 'nope.h'");
  assert.is(idl('#include <sys/nope.h>'), "a.idl:1:10: cannot find include file 'sys/nope.h'");
  assert.is(idl('#include nope.h'), 'a.idl:1:10: unsupported #include form: expected "file" or <file>');
  assert.is(idl('#include'), 'a.idl:1:1: expected a file name after #include');
  assert.is(errorOf({ 'dir/a.idl': '#include "b.h"' }, 'dir/a.idl'), "dir/a.idl:1:10: cannot find include file 'b.h'");
  assert.is(errorOf({ 'x.idl': '' }, 'a.idl'), 'a.idl: cannot read file');
});

test('includes resolve relative to the including file, then -I dirs in order', () => {
  const files = {
    'src/a.idl': '#include "sub/b.h"\n#include <c.h>\nmachine m { task t(b_t b, c_t c); }',
    'src/sub/b.h': '#include "b2.h"\n',
    'src/sub/b2.h': 'typedef int b_t;',
    'inc1/c.h': 'typedef short c_t;',
    'inc2/c.h': 'this is not read',
  };
  const r = run(files, 'src/a.idl', { includeDirs: ['inc1', 'inc2'] });
  assert.ok(r.ok, r.ok ? '' : r.errors[0].format());
});

test('an include cycle', () => {
  assert.is(idl('#include "a.idl"'), 'a.idl:1:10: include cycle: a.idl -> a.idl');
  assert.is(idl('#include "b.h"', { 'b.h': '\n#include "c.h"', 'c.h': '#include "b.h"' }), 'c.h:1:10: include cycle: b.h -> c.h -> b.h');
  assert.ok(run({ 'a.idl': '#include "b.h"\n#include "b.h"', 'b.h': '#pragma once\ntypedef int x;' }).ok, '#pragma once is no cycle');
});

test('too deep: includes, nesting', () => {
  const files: Record<string, string> = { 'a.idl': '#include "h0.h"' };
  for (let i = 0; i < 40; i++) files[`h${i}.h`] = `#include "h${i + 1}.h"`;
  files['h40.h'] = '';
  assert.is(errorOf(files), `h${MAX_INCLUDE_DEPTH - 2}.h:1:10: includes nested more than ${MAX_INCLUDE_DEPTH} deep`);
  assert.is(idl('int x[' + '('.repeat(500) + '1' + ')'.repeat(500) + '];'), `a.idl:1:${7 + MAX_NESTING}: expression nested more than ${MAX_NESTING} deep`);
  assert.is(idl('int ' + '('.repeat(500) + 'x' + ')'.repeat(500) + ';'), `a.idl:1:${5 + MAX_NESTING}: declarations nested more than ${MAX_NESTING} deep`);
});

test('a macro bomb is stopped', () => {
  let text = '#define M0 x x x x x x x x x x\n';
  for (let i = 1; i < 12; i++) text += `#define M${i} M${i - 1} M${i - 1} M${i - 1} M${i - 1} M${i - 1} M${i - 1} M${i - 1} M${i - 1}\n`;
  text += 'int M11;\n';
  assert.match(idl(text), /^a\.idl:\d+:\d+: (more than \d+ macro expansions|macro expansion of more than \d+ tokens)$/);
});

test('an ordinal collision', () => {
  // Two task names whose "m.<name>" hash alike, found once by a birthday search over t0, t1, ...
  const pair = ['t539599', 't722382'];
  assert.is(fnv1a32(`m.${pair[0]}`), fnv1a32(`m.${pair[1]}`));
  const [a, b] = pair;
  assert.is(idl(`machine m {\n  task ${a}();\n  task ${b}();\n}`), `a.idl:3:8: ordinal 0x${fnv1a32(`m.${a}`).toString(16).padStart(8, '0')} of task '${b}' collides with task '${a}' in machine 'm'; give one a [[selector]]`);
  assert.ok(run({ 'a.idl': `machine m {\n  task ${a}();\n  task ${b} [[selector("m.${b}_v2")]] ();\n}` }).ok, 'a selector resolves it');
  assert.is(idl('machine m { task a(); task b [[selector("m.a")]] (); }'), `a.idl:1:41: ordinal 0x${fnv1a32('m.a').toString(16)} of task 'b' collides with task 'a' in machine 'm'; give one a [[selector]]`);
  assert.is(idl('machine m { task a [[selector("nodot")]] (); }'), 'a.idl:1:31: selector "nodot" must have the form machine.task');
});

test('a generated name that collides', () => {
  assert.is(idl('machine m { task a_b(); }\nmachine m_a { task b(); }'), "a.idl:2:20: task m_a.b and task m.a_b would generate the same name 'm_a_b_request'");
  assert.is(idl('struct m_t_request { int x; };\nmachine m { task t(); }'), "a.idl:2:18: task m.t would generate 'struct m_t_request', which a.idl:1:8 already declares");
  assert.is(idl('#define M_T_ORDINAL 1\nmachine m { task t(); }'), "a.idl:2:18: task m.t would generate 'M_T_ORDINAL', which a.idl:1:9 already declares");
});

test('redefinitions in C', () => {
  assert.is(idl('struct s { int a; };\nstruct s { int b; };'), "a.idl:2:8: redefinition of 'struct s' (first defined at a.idl:1:8)");
  assert.is(idl('typedef int t;\ntypedef float t;'), "a.idl:2:15: conflicting types for typedef 't' ('float' vs 'int')");
  assert.is(idl('enum e { A };\nenum f { A };'), "a.idl:2:10: redefinition of 'A' (first defined at a.idl:1:10)");
  assert.is(idl('#define X 1\n#define X 2'), "a.idl:2:9: macro 'X' redefined differently (first defined at a.idl:1:9)");
  assert.is(idl('struct s { int a; int a; };'), "a.idl:1:23: duplicate field 'a' in struct s (first at a.idl:1:16)");
  assert.ok(run({ 'a.idl': 'typedef unsigned int u;\ntypedef unsigned int u;\n#define X (1)\n#define X (1)\ntypedef unsigned long size_t;' }).ok, 'identical redefinitions are allowed');
});

test('preprocessor errors', () => {
  assert.is(idl('#if 1\nint x;'), 'a.idl:1:1: unterminated #if (no matching #endif)');
  assert.is(idl('#endif'), 'a.idl:1:1: #endif without #if');
  assert.is(idl('#if 0\n#else\n#else\n#endif'), 'a.idl:3:1: #else after #else');
  assert.is(idl('#error no wasm64 yet'), 'a.idl:1:1: #error no wasm64 yet');
  assert.is(idl('#line 5'), "a.idl:1:2: unsupported preprocessor directive '#line'");
  assert.is(idl('#if 1 +\n#endif'), 'a.idl:1:7: expected an expression');
  assert.is(idl('#define F(a) a\nint F(x;'), "a.idl:2:5: unterminated call of macro 'F'");
});

test('constant expression errors', () => {
  assert.is(idl('#define N (4 / 0)\nchar buf[N];'), 'a.idl:2:10: division by zero in constant expression');
  assert.is(idl('char buf[SIZE];'), "a.idl:1:10: 'SIZE' is not an integer constant (igen knows #define'd integers and enumerators)");
  assert.is(idl('char buf[-1];'), 'a.idl:1:10: array size -1 is negative');
  assert.is(idl('char buf[1.5];'), "a.idl:1:10: floating constant '1.5' where an integer constant is needed");
  assert.is(idl('char buf[1 << 40];'), 'a.idl:1:12: shift count 40 is out of range for a 32-bit operand');
  assert.is(idl('int x[0x7fffffff];\nmachine m { task t(in int *p [[len(1)]]); }\nstruct big { int a[0x7fffffff]; };\nmachine n { task t(struct big b); }'), 'a.idl:3:18: array of 2147483647 elements of 4 bytes is larger than 2147483647 bytes');
  assert.is(idl('enum e { A = 0x100000000 };'), "a.idl:1:10: enumerator 'A' = 4294967296 does not fit in 32 bits");
  assert.is(idl('_Static_assert(sizeof(int64_t) == 4, "wasm32");'), 'a.idl:1:1: static assertion failed: "wasm32"');
});

test('machine declarations live in the IDL file, with no directive inside', () => {
  assert.is(idl('#include "b.h"', { 'b.h': 'machine m {}' }), 'b.h:1:1: machine declarations belong in the IDL file, not in an included header');
  assert.is(idl('machine m {\n#define X 1\n  task t();\n}'), "a.idl:2:1: preprocessor directive inside machine 'm'; put it before the machine");
});

test('an oversized file', () => {
  assert.match(idl('int x;' + ' '.repeat(1 << 20)), /^a\.idl:1:1: file is larger than \d+ bytes$/);
});

test.run();
