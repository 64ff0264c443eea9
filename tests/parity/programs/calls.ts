// calls.ts: the machine-call scenario of tests/machines (4 machines calling each other), run for
// parity: its output is totals only.
export { machines, main } from "../../machines/programs/calls";
