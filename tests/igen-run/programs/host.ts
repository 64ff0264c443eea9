// host.ts: machines krt and urt (rt_machines.ts) serving calls from JS on the Node host
// (tests/igen-run/host-driver.ts, through the generated rt_igen_host.ts) until the host stops it.
import { hostServe } from "aam";
import { defineRtMachines } from "./rt_machines";

export function machines(): void { defineRtMachines(); }

export function main(): i32 { return hostServe(); }
