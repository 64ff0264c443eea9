// pingpong.ts: the signal ping-pong scenario of tests/sched (pairs of tasks passing a token through
// two counting signals; a lost wake-up hangs the run), run for parity: its stdout is totals only.
export { main } from "../../sched/programs/pingpong";
