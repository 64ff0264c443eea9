// index.ts: the trace tools' public face, for tools/cli (`aam trace`) and the tests. Re-exports only.
export type { RawTrace, RawEvent } from "./raw";
export { EVENTS } from "./raw";
export { toChrome, CORES_PID } from "./chrome";
export type { ChromeTrace, ChromeEvent } from "./chrome";
export { validateChrome } from "./validate";
export { toHtml, toModel } from "./html";
export type { HtmlOpts, ViewerModel } from "./html";
