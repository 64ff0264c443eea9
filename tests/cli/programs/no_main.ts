// no_main.ts: a program without main(); the build must say what is missing.
export function percore(): void {}
