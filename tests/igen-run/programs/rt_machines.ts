// rt_machines.ts: machines krt (kernel-level) and urt (user-level) of rt.idl, both served by the
// same typed handlers through igen's generated server (rt_igen_server.ts). Used by roundtrip.ts
// (AS clients) and host.ts (the JS host's client).
import { defineMachine } from "aam";
import { Point, RtParams, RtSummary, RtMode } from "./rt_igen_client";
import { offerKrt, offerUrt } from "./rt_igen_server";

export function sum(data: usize, n: u32): u64 {
  let s: u64 = 0;
  for (let i: usize = 0; i < <usize>n; i++) s += load<u8>(data + i);
  return s;
}
export function fill(buf: usize, cap: u16, seed: u8, mode: RtMode): u32 {
  for (let i: u32 = 0; i < <u32>cap; i++) store<u8>(buf + i, mode == RtMode.RT_ADD ? <u8>(seed + i) : <u8>(seed ^ i));
  return cap;
}
export function bump(vals: usize, count: i8, by: i32): void {
  for (let i = 0; i < <i32>count; i++) store<i32>(vals + (<usize>i << 2), load<i32>(vals + (<usize>i << 2)) + by);
}
export function move(p: Point, params: RtParams, result: Point): void {
  result.x = p.x * <i32>params.scale + params.origin.x + <i32>params.tag;
  result.y = p.y * <i32>params.scale + params.origin.y + (params.flip ? 1000 : 0) + <i32>params.weight;
}
export function summary(vals: usize, n: u8, s: RtSummary): bool {
  let total: i64 = 0, lo: i16 = i16.MAX_VALUE;
  for (let i = 0; i < <i32>n; i++) { let v = load<i16>(vals + (<usize>i << 1)); total += v; if (v < lo) lo = v; }
  s.total = <u64>total;
  s.count = n;
  s.min = lo;
  s.ok = true;
  return n > 0;
}
export function describe(params: RtParams, f: f32, result: RtSummary): void {
  result.total = <u64>params.scale + params.tag;
  result.count = <u32>(params.weight * <f64>f);
  result.min = <i16>params.origin.x;
  result.ok = params.flip;
}

export function defineRtMachines(): void {
  offerKrt(defineMachine("krt", { kernel: true }), sum, fill, bump, move, summary, describe);
  offerUrt(defineMachine("urt"), sum, fill, bump, move, summary, describe);
}

