// error.ts: how machine lzo fails a call. The message is built in one heap block (the runtime's
// Text builder) that the failed call takes over and frees with itself, so a call that fails
// leaves nothing behind: `fail("a" + b)` would leave its strings in the machine's heap (there is
// no collector). The two runtime helpers are not in "aam" yet; this file is the only one that
// reaches past it.
import { text, Text } from "~lib/rt/text";
import { failOwned } from "~lib/rt/trap";

export { Text };

/** Starts a message: `failWith(msg("lzo: ").s("what").dec(n))`. */
export function msg(first: string): Text { return text(first); }

/** Fails the running call with the message `t` (and never returns). */
export function failWith(t: Text): void { failOwned(t.done()); }
