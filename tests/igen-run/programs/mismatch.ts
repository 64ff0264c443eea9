// mismatch.ts: a client built from ver_v1.idl connects to machine ver, served from ver_v2.idl.
// The connect is refused with a message naming the machine and both hashes; the connecting task
// fails (the program observes it through its future and verInterfaceError), and the system
// goes on: a client of the right version is served.
import { Task, println, defineMachine, spawn } from "aam";
import { connectVer, verInterfaceError, VER_INTERFACE_HASH } from "./ver_v1_igen_client";
import { connectVer as connectVer2 } from "./ver_v2_igen_client";
import { offerVer } from "./ver_v2_igen_server";

function get(key: u64): u32 { return <u32>key * 2; }

export function machines(): void {
  offerVer(defineMachine("ver"), get);
}

function connectV1(t: Task): u64 {
  connectVer();                                  // traps this task: another interface version
  return 1;
}

export function main(): i32 {
  println("v1 client hash 0x" + VER_INTERFACE_HASH.toString(16));
  println("check: " + verInterfaceError());
  let f = spawn(connectV1);
  f.wait();
  println("connect from a v1 client: " + (f.failed ? "refused" : "accepted"));
  f.release();
  println("v2 client: get(21) = " + connectVer2().getSync(21).toString());
  return 0;
}
