// stack_idle.ts: machine "net" in a program that never calls it: the stack must start from its
// first received frame (machine.ts step 2: the rx callback runs netStart) and answer ARP and
// ping on its own. main waits (sleeping, reading stack.ts's counters, not timing anything)
// until the peer's last frame arrived (a frame of an unknown EtherType, sent once the peer had
// its 3 echo replies: ending earlier could cut the last reply off the wire), then prints what
// the stack counted.
// tests/net/stack_dev.test.mjs drives it.
import { println, sleep } from "aam";
import { defineNet } from "../../../aams/net/index";
import { stat, Stat, netStarted } from "../../../aams/net/stack";

export function machines(): void { defineNet(); }

export function main(): i32 {
  println("up");
  while (stat(Stat.ETH_UNKNOWN) == 0) sleep(10e6);
  println("replies " + stat(Stat.ICMP_ECHO_REPLIES).toString() + " arp " + stat(Stat.ARP_REPLIES_SENT).toString() + " started " + (netStarted() ? "yes" : "no"));
  return 0;
}
