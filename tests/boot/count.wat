;; count.wat: the test image for the bare-metal boot (boot/), hand-written until the real image exists.
;;
;; Imports what the system image imports (runtime/rt/platform.ts): the shared memory, aam.* and WASI.
;; Every core prints "core K up", adds 1 to a shared counter and waits (spin, then park) until every
;; core has; the last to arrive wakes the others. Core 0 then prints "total N" and calls exit(N).
;; argv[1] (after `--` on the kernel command line) picks a variant, run by core 1:
;;   trap   aam.fatal("boom", "count.wat", 42, 7), then unreachable
;;   oob    a load at 0xfffffff0: out of bounds
;;   stack  unbounded recursion: call stack exhausted
;;   ping   after the count, cores 0 and 1 wake each other 2000 times through park/wake;
;;          core 0 prints "ping N round trips, M ns each" (no spinning: every wait is a park)
;;   kpark  core 0 checks park's contract on itself: a token posted before park is consumed at once
;;          (1), tokens do not accumulate, park(0) without a token returns 0, a 2 ms timeout
;;          returns 0 after at least 2 ms; it prints "park ok, timeout after N us" or "park fail N"
;;
;; Memory (bytes):
;;   0x0100  arrived: cores that added their 1 (atomic)
;;   0x0104  ball: ping-pong state, 1 = core 1's turn, 0 = core 0's, 2 = stop
;;   0x0200  constant strings (data segments)
;;   0x1000  per core K at 0x1000 + 256 K: iovec (+0), nwritten (+8), line text (+16), digits (+236..256)
;;   0x8000  argc, argv buffer size; 0x8010 argv[]; 0x8100 argv strings
(module
  (import "env" "memory" (memory 1 16384 shared))
  (import "aam" "core_id" (global $core i32))
  (import "aam" "core_count" (global $ncores i32))
  (import "aam" "now_ns" (func $now_ns (result f64)))
  (import "aam" "park" (func $park (param f64) (result i32)))
  (import "aam" "wake" (func $wake (param i32)))
  (import "aam" "exit" (func $exit (param i32)))
  (import "aam" "fatal" (func $fatal (param i32 i32 i32 i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))

  (data (i32.const 0x200) "core ")
  (data (i32.const 0x210) " up")
  (data (i32.const 0x220) "total ")
  (data (i32.const 0x230) "ping ")
  (data (i32.const 0x240) " round trips, ")
  (data (i32.const 0x250) " ns each")
  (data (i32.const 0x260) "park ok, timeout after ")
  (data (i32.const 0x280) " us")
  (data (i32.const 0x290) "park fail ")
  (data (i32.const 0x300) "b\00o\00o\00m\00")
  (data (i32.const 0x310) "c\00o\00u\00n\00t\00.\00w\00a\00t\00")

  ;; Length of the current line; a module global, so one per instance, i.e. per core.
  (global $pos (mut i32) (i32.const 0))

  (func $base (result i32)
    (i32.add (i32.const 0x1000) (i32.shl (global.get $core) (i32.const 8))))

  (func $put_str (param $p i32) (param $n i32)
    (memory.copy
      (i32.add (i32.add (call $base) (i32.const 16)) (global.get $pos))
      (local.get $p) (local.get $n))
    (global.set $pos (i32.add (global.get $pos) (local.get $n))))

  (func $put_num (param $v i64)
    (local $end i32) (local $p i32)
    (local.set $end (i32.add (call $base) (i32.const 256)))
    (local.set $p (local.get $end))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
    (call $put_str (local.get $p) (i32.sub (local.get $end) (local.get $p))))

  ;; Ends the line and writes it to fd 1 in one fd_write.
  (func $flush
    (local $b i32)
    (local.set $b (call $base))
    (i32.store8 (i32.add (i32.add (local.get $b) (i32.const 16)) (global.get $pos)) (i32.const 10))
    (i32.store (local.get $b) (i32.add (local.get $b) (i32.const 16)))
    (i32.store offset=4 (local.get $b) (i32.add (global.get $pos) (i32.const 1)))
    (drop (call $fd_write (i32.const 1) (local.get $b) (i32.const 1) (i32.add (local.get $b) (i32.const 8))))
    (global.set $pos (i32.const 0)))

  ;; First byte of argv[1], or 0 without one.
  (func $mode (result i32)
    (drop (call $args_sizes_get (i32.const 0x8000) (i32.const 0x8004)))
    (if (i32.lt_u (i32.load (i32.const 0x8000)) (i32.const 2)) (then (return (i32.const 0))))
    (drop (call $args_get (i32.const 0x8010) (i32.const 0x8100)))
    (i32.load8_u (i32.load (i32.const 0x8014))))

  ;; Waits until the word at $addr holds $want: 1000 spins, then park (timeout 1 s) and look again.
  (func $wait_for (param $addr i32) (param $want i32) (param $spin i32)
    (loop $again
      (if (i32.eq (i32.atomic.load (local.get $addr)) (local.get $want)) (then (return)))
      (if (local.get $spin)
        (then
          (local.set $spin (i32.sub (local.get $spin) (i32.const 1)))
          (br $again)))
      (drop (call $park (f64.const 1e9)))
      (br $again)))

  (func $barrier
    (local $i i32)
    (if (i32.eq (i32.add (i32.atomic.rmw.add (i32.const 0x100) (i32.const 1)) (i32.const 1))
                (global.get $ncores))
      (then
        (loop $each
          (if (i32.ne (local.get $i) (global.get $core)) (then (call $wake (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $each (i32.lt_u (local.get $i) (global.get $ncores))))
        (return)))
    (call $wait_for (i32.const 0x100) (global.get $ncores) (i32.const 1000)))

  (func $recurse (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  ;; Core 0's side of the ping-pong: returns the mean round trip in ns.
  (func $ping (param $rounds i32) (result f64)
    (local $i i32) (local $t0 f64)
    (local.set $t0 (call $now_ns))
    (loop $round
      (i32.atomic.store (i32.const 0x104) (i32.const 1))
      (call $wake (i32.const 1))
      (call $wait_for (i32.const 0x104) (i32.const 0) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $i) (local.get $rounds))))
    (i32.atomic.store (i32.const 0x104) (i32.const 2))
    (call $wake (i32.const 1))
    (f64.div (f64.sub (call $now_ns) (local.get $t0)) (f64.convert_i32_u (local.get $rounds))))

  ;; Core 1's side: answers until told to stop.
  (func $pong
    (loop $serve
      (if (i32.eq (i32.atomic.load (i32.const 0x104)) (i32.const 2)) (then (return)))
      (if (i32.eq (i32.atomic.load (i32.const 0x104)) (i32.const 1))
        (then
          (i32.atomic.store (i32.const 0x104) (i32.const 0))
          (call $wake (i32.const 0)))
        (else (drop (call $park (f64.const -1)))))
      (br $serve)))

;; Core 0, on itself: returns 0 if park keeps its contract, else the number of the failed check.
  ;; The microseconds the 2 ms timeout took go to the global $waited.
  (global $waited (mut i64) (i64.const 0))
  (func $check_park (result i32)
    (local $t0 f64)
    (call $wake (global.get $core))
    (if (i32.ne (call $park (f64.const -1)) (i32.const 1)) (then (return (i32.const 1))))
    (if (i32.ne (call $park (f64.const 0)) (i32.const 0)) (then (return (i32.const 2))))
    (call $wake (global.get $core))
    (call $wake (global.get $core))
    (if (i32.ne (call $park (f64.const 0)) (i32.const 1)) (then (return (i32.const 3))))
    (if (i32.ne (call $park (f64.const 0)) (i32.const 0)) (then (return (i32.const 4))))
    (local.set $t0 (call $now_ns))
    (if (i32.ne (call $park (f64.const 2e6)) (i32.const 0)) (then (return (i32.const 5))))
    (global.set $waited (i64.trunc_f64_u (f64.div (f64.sub (call $now_ns) (local.get $t0)) (f64.const 1000))))
    (if (i64.lt_u (global.get $waited) (i64.const 2000)) (then (return (i32.const 6))))
    (i32.const 0))

  (func (export "aam_entry") (result i32)
    (local $mode i32) (local $ns f64) (local $fail i32)
    (call $put_str (i32.const 0x200) (i32.const 5))
    (call $put_num (i64.extend_i32_u (global.get $core)))
    (call $put_str (i32.const 0x210) (i32.const 3))
    (call $flush)
    (local.set $mode (call $mode))
    (if (i32.eq (global.get $core) (i32.const 1))
      (then
        (if (i32.eq (local.get $mode) (i32.const 116))      ;; 't'
          (then
            (call $fatal (i32.const 0x300) (i32.const 8) (i32.const 0x310) (i32.const 18) (i32.const 42) (i32.const 7))
            (unreachable)))
        (if (i32.eq (local.get $mode) (i32.const 111))      ;; 'o'
          (then (drop (i32.load (i32.const 0xfffffff0)))))
        (if (i32.eq (local.get $mode) (i32.const 115))      ;; 's'
          (then (drop (call $recurse (i32.const 0)))))))
    (if (i32.and (i32.eqz (global.get $core)) (i32.eq (local.get $mode) (i32.const 107)))  ;; 'k'
      (then
        (local.set $fail (call $check_park))
        (if (local.get $fail)
          (then
            (call $put_str (i32.const 0x290) (i32.const 10))
            (call $put_num (i64.extend_i32_u (local.get $fail))))
          (else
            (call $put_str (i32.const 0x260) (i32.const 23))
            (call $put_num (global.get $waited))
            (call $put_str (i32.const 0x280) (i32.const 3))))
        (call $flush)))
    (call $barrier)
    (if (i32.and (i32.eq (local.get $mode) (i32.const 112)) (i32.ge_u (global.get $ncores) (i32.const 2)))  ;; 'p'
      (then
        (if (i32.eq (global.get $core) (i32.const 1)) (then (call $pong)))
        (if (i32.eq (global.get $core) (i32.const 0))
          (then
            (local.set $ns (call $ping (i32.const 2000)))
            (call $put_str (i32.const 0x230) (i32.const 5))
            (call $put_num (i64.const 2000))
            (call $put_str (i32.const 0x240) (i32.const 14))
            (call $put_num (i64.trunc_f64_u (local.get $ns)))
            (call $put_str (i32.const 0x250) (i32.const 8))
            (call $flush)))))
    (if (i32.eqz (global.get $core))
      (then
        (call $put_str (i32.const 0x220) (i32.const 6))
        (call $put_num (i64.extend_i32_u (i32.atomic.load (i32.const 0x100))))
        (call $flush)
        (call $exit (i32.atomic.load (i32.const 0x100)))))
    (i32.const 0)))
