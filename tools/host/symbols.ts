// symbols.ts: task function names for both hosts. The image carries no symbol table; its manifest
// lists the function table's names (`fns`), and runtime reports name a task function as fn#N.
//
// Owns: the short form of a name and the rewriting of report lines. Not: reading manifests.

/** "examples/pipeline/transform" → "transform" (the function's own name, without its file). */
export function shortName(full: string): string {
  const parts = full.split("/");
  return parts.length > 1 ? parts[parts.length - 1] : full;
}

/** Replace fn#N in a runtime report line ("aam: stall: …") with the function's name. Other lines,
 *  the program's own output among them, are left alone. */
export function symbolize(line: string, fns: Record<number, string> | undefined): string {
  if (!fns || !line.startsWith("aam: ")) return line;
  return line.replace(/fn#(\d+)/g, (all, n) => (fns[Number(n)] !== undefined ? shortName(fns[Number(n)]) : all));
}
