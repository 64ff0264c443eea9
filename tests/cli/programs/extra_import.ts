// extra_import.ts: declares an import outside the platform interface; the build must refuse it.
// @ts-ignore: decorator
@external("env", "getTimeOfDay") declare function getTimeOfDay(): f64;
export function main(): i32 { return <i32>getTimeOfDay(); }
