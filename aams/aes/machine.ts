// machine.ts: machine aes (aes.idl): its handlers, its context handles and its error messages.
// A program serves it with `defineAes()` from its machines() export; clients use the generated
// client (aes_igen_client.ts: connectAes(), c.openSync(…), …). README.md is its interface.
// Owns: the handle table (which contexts exist, which call holds one), argument checks, the
// message of every refusal. Not: the cipher (cipher.ts), the modes (modes.ts).
//
// A failed call fails with a message that names the task and what was wrong (e.g. `aes.open:
// key of 15 bytes (AES takes 16, 24 or 32)`); the machine goes on serving. Messages are built
// in one heap block that the failure takes over (failOwned), so a refusal leaves no garbage.
import { load32, store32, cas32 } from "aam/atomic";
import { Machine, MachineOptions, defineMachine, heapAlloc, heapFree, failOwned, text, Text } from "aam";
import { AesMode, AesDir } from "./aes_igen_client";
import { offerAes } from "./aes_igen_server";
import { aesTablesInit } from "./cipher";
import { CX_SIZE, CX_DETAIL, MODE_ECB, MODE_CBC, MODE_CTR, MODE_GCM, DIR_ENC, DIR_DEC, FLAG_NOPAD, FLAG_CT,
  E_CAP, E_PARTIAL, E_CT_LEN, E_CT_EMPTY, E_PAD, E_AAD_LATE, E_NOT_GCM, E_GCM_LONG,
  cxInit, cxAad, cxUpdate, cxFinal, cxMode, gcmOpen } from "./modes";

/** open's flags (aes.idl's #defines, which igen does not carry into AssemblyScript). */
export const AES_NOPAD: u32 = 1;
export const AES_CONSTTIME: u32 = 2;
export const AES_TAG_BYTES: u32 = 16;

// ╒═══════ handle table (static data, every core) ═══════╕
// SLOTS entries of 8 bytes: +0 PTR u32, the context (0: free); +4 GEN u32, generation << 1 | BUSY.
// A handle is GEN << 12 | slot + 1, so a closed handle (its generation moved on) is refused.
//  open:  claim a free slot with cas(PTR, 0, cx); the handle carries the slot's GEN.
//  a call: cas(GEN, gen << 1, gen << 1 | 1) takes the context (fails if the generation is old or
//          another call holds it); the call then owns it; it stores gen << 1 when done.
//  close: holding it, frees the context, stores (gen + 1) << 1, then PTR = 0 (free for open).
const SLOTS: u32 = 4095;
const TABLE = memory.data(<i32>SLOTS * 8);
const GEN_MASK: u32 = 0xFFFFF;

@inline function slotAt(s: u32): usize { return TABLE + (<usize>s << 3); }

function refuse(t: Text): void { failOwned(t.done()); }

function handleText(what: string, h: u32): Text { return text("aes.").s(what).s(": context ").dec(h); }

/** Takes the context of handle h for this call, or fails the call. */
function acquire(h: u32, what: string): usize {
  let s = (h & 0xFFF) - 1;
  if (h == 0 || s >= SLOTS) refuse(handleText(what, h).s(" is not a handle of machine aes"));
  let e = slotAt(s), gen = h >> 12;
  let got = cas32(e + 4, gen << 1, (gen << 1) | 1);
  if (got == gen << 1) {
    let cx = <usize>load32(e);
    if (cx != 0) return cx;
    store32(e + 4, gen << 1);            // a free slot's current generation: never opened
    refuse(handleText(what, h).s(" is closed (or was never opened)"));
  }
  if (got >> 1 != gen) refuse(handleText(what, h).s(" is closed (or was never opened)"));
  refuse(handleText(what, h).s(" is in use by another call (wait for each call on a context before the next)"));
  return 0;
}

function release(h: u32): void { store32(slotAt((h & 0xFFF) - 1) + 4, (h >> 12) << 1); }

function closeHeld(h: u32, cx: usize): void {
  let e = slotAt((h & 0xFFF) - 1);
  memory.fill(cx, 0, CX_SIZE);                      // keys and state do not outlive the context
  heapFree(cx);
  store32(e + 4, (((h >> 12) + 1) & GEN_MASK) << 1);
  store32(e, 0);
}

function modeName(m: u32): string {
  return m == MODE_ECB ? "ECB" : m == MODE_CBC ? "CBC" : m == MODE_CTR ? "CTR" : "GCM";
}

// Key and IV checks shared by open and gcm_decrypt.
function checkKeyIv(what: string, mode: u32, keyLen: u32, ivLen: u32): void {
  if (keyLen != 16 && keyLen != 24 && keyLen != 32) refuse(text("aes.").s(what).s(": key of ").dec(keyLen).s(" bytes (AES takes 16, 24 or 32)"));
  if ((mode == MODE_CBC || mode == MODE_CTR) && ivLen != 16)
    refuse(text("aes.").s(what).s(": IV of ").dec(ivLen).s(" bytes for ").s(modeName(mode)).s(" (it takes 16)"));
  if (mode == MODE_ECB && ivLen != 0) refuse(text("aes.").s(what).s(": IV of ").dec(ivLen).s(" bytes for ECB (it takes none)"));
  if (mode == MODE_GCM && (ivLen == 0 || ivLen > 0x1FFFFFFF)) refuse(text("aes.").s(what).s(": IV of ").dec(ivLen).s(" bytes for GCM (it takes 1 to 2^29 - 1; 12 is usual)"));
}

function open(mode: AesMode, dir: AesDir, key: usize, keyLen: u32, iv: usize, ivLen: u32, flags: u32): u32 {
  let m = <u32>mode, d = <u32>dir;
  if (m < MODE_ECB || m > MODE_GCM) refuse(text("aes.open: mode ").dec(m).s(" (ECB 1, CBC 2, CTR 3, GCM 4)"));
  if (d != DIR_ENC && d != DIR_DEC) refuse(text("aes.open: direction ").dec(d).s(" (encrypt 1, decrypt 2)"));
  if (flags & ~(FLAG_NOPAD | FLAG_CT)) refuse(text("aes.open: unknown flags 0x").hex(flags & ~(FLAG_NOPAD | FLAG_CT)).s(" (AES_NOPAD is 1, AES_CONSTTIME 2)"));
  checkKeyIv("open", m, keyLen, ivLen);
  if (m == MODE_GCM && d == DIR_DEC)
    refuse(text("aes.open: GCM decryption is one call, aes.gcm_decrypt (it checks the tag before it writes any plaintext)"));
  let cx = heapAlloc(CX_SIZE);
  cxInit(cx, m, d, flags, key, <i32>keyLen, iv, <i32>ivLen);
  for (let s: u32 = 0; s < SLOTS; s++) {
    let e = slotAt(s);
    if (load32(e) == 0 && cas32(e, 0, <u32>cx) == 0) {
      return ((load32(e + 4) >> 1) << 12) | (s + 1);
    }
  }
  memory.fill(cx, 0, CX_SIZE);
  heapFree(cx);
  refuse(text("aes.open: all ").dec(SLOTS).s(" contexts are open (close some)"));
  return 0;
}

// A mode error (modes.ts E_*) as the call's failure; the context was released or closed first.
function modeError(what: string, h: u32, mode: u32, err: i32, detail: u32, cap: u32): void {
  let t = handleText(what, h).s(" (").s(modeName(mode)).s("): ");
  if (err == E_CAP) t.s("output buffer of ").dec(cap).s(" bytes, this call writes ").dec(detail);
  else if (err == E_PARTIAL) t.s("input of ").dec(detail).s(" bytes is not a multiple of 16 (no padding)");
  else if (err == E_CT_LEN) t.s("ciphertext of ").dec(detail).s(" bytes is not a multiple of 16");
  else if (err == E_CT_EMPTY) t.s("empty ciphertext (PKCS#7 padding takes at least one block)");
  else if (err == E_PAD) t.s("bad padding (wrong key or IV, or a corrupt or truncated ciphertext)");
  else if (err == E_AAD_LATE) t.s("additional data after the first update (give it before any data)");
  else if (err == E_NOT_GCM) t.s("additional data is for GCM only");
  else if (err == E_GCM_LONG) t.s("a GCM message is at most 2^36 - 32 bytes (the block counter would wrap); start a new one with a new IV");
  else t.s("error ").int(err);
  refuse(t);
}

function aad(h: u32, data: usize, n: u32): void {
  let cx = acquire(h, "aad");
  let r = cxAad(cx, data, n);
  release(h);
  if (r < 0) modeError("aad", h, cxMode(cx), r, 0, 0);
}

function update(h: u32, src: usize, n: u32, dst: usize, cap: u32): u32 {
  let cx = acquire(h, "update");
  if (cxMode(cx) == MODE_ECB && (n & 15) != 0) {
    release(h);
    modeError("update", h, MODE_ECB, E_PARTIAL, n, 0);
  }
  let r = cxUpdate(cx, src, n, dst, cap);
  let detail = load<u32>(cx + CX_DETAIL);
  release(h);
  if (r < 0) modeError("update", h, cxMode(cx), r, detail, cap);
  return <u32>r;
}

function final(h: u32, dst: usize, cap: u32, tag: usize): u32 {
  let cx = acquire(h, "final");
  let mode = cxMode(cx);
  if (mode == MODE_GCM && tag == 0) { release(h); refuse(handleText("final", h).s(" (GCM): no tag buffer (16 bytes)")); }
  let r = cxFinal(cx, dst, cap, tag);
  let detail = load<u32>(cx + CX_DETAIL);
  closeHeld(h, cx);
  if (r < 0) modeError("final", h, mode, r, detail, cap);
  return <u32>r;
}

function close(h: u32): void { closeHeld(h, acquire(h, "close")); }

function gcmDecrypt(key: usize, keyLen: u32, iv: usize, ivLen: u32, aadp: usize, aadLen: u32, src: usize, n: u32, tag: usize, dst: usize, flags: u32): u32 {
  checkKeyIv("gcm_decrypt", MODE_GCM, keyLen, ivLen);
  if (flags & ~FLAG_CT) refuse(text("aes.gcm_decrypt: unknown flags 0x").hex(flags & ~FLAG_CT).s(" (AES_CONSTTIME is 2)"));
  let cx = heapAlloc(CX_SIZE);
  cxInit(cx, MODE_GCM, DIR_DEC, flags, key, <i32>keyLen, iv, <i32>ivLen);
  cxAad(cx, aadp, aadLen);
  let ok = gcmOpen(cx, src, n, tag, dst);
  memory.fill(cx, 0, CX_SIZE);
  heapFree(cx);
  if (!ok) refuse(text("aes.gcm_decrypt: tag mismatch: the ").dec(n).s("-byte message or its additional data is not authentic (wrong key, IV, AAD or tag); no plaintext was written"));
  return n;
}

/** Defines machine aes with `options` and offers its interface. From machines() only. */
export function defineAes(options: MachineOptions = {}): Machine {
  aesTablesInit();
  return offerAes(defineMachine("aes", options), open, aad, update, final, close, gcmDecrypt);
}
