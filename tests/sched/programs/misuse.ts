// misuse.ts: waits on a future from percore(), which is boot code, not a task.
import { Task, spawn } from "aam";
function one(t: Task): u64 { return 1; }
export function percore(): void { spawn(one).wait(); }
export function main(): i32 { return 0; }
