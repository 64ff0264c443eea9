// modes.ts: the AES modes of operation over a streaming context: ECB and CBC (SP 800-38A §6.1,
// §6.2; PKCS#7 padding, RFC 5652 §6.3, or none), CTR (§6.5, a 128-bit big-endian counter that
// wraps, as OpenSSL and Node count) and GCM (SP 800-38D §7: J0 from any IV length, GHASH of the
// AAD and the ciphertext, a 16-byte tag). Input comes in any number of update calls of any sizes;
// a context carries the partial block, the chaining value or the counter across them.
// Each context uses one formulation of the cipher and GHASH, the T-tables (cipher.ts, ghash.ts)
// or, with FLAG_CT, the constant-time ones (cipher_ct.ts, ghashBlockCT).
// Owns: the context layout and every mode's byte arithmetic. Returns errors as codes (E_*), with
// a number in CX_DETAIL; the machine (machine.ts) turns them into messages. Not: handles,
// argument checks, locking.
import { aesExpandKey, aesEncryptBlock, aesDecryptBlock } from "./cipher";
import { ctExpandKey, ctEncrypt, ctDecrypt } from "./cipher_ct";
import { ghashTable, ghashBlock, ghashBlockCT, ghashKeyCT, ghashOut } from "./ghash";

export const MODE_ECB: u32 = 1, MODE_CBC: u32 = 2, MODE_CTR: u32 = 3, MODE_GCM: u32 = 4;
export const DIR_ENC: u32 = 1, DIR_DEC: u32 = 2;
export const FLAG_NOPAD: u32 = 1;
export const FLAG_CT: u32 = 2;             // the constant-time cipher and GHASH (cipher_ct.ts)
const FLAG_DATA: u32 = 0x100;              // GCM: data has started, the AAD is hashed and closed

// Errors of update/final/aad (negative results); CX_DETAIL holds the number the message needs.
export const E_CAP: i32 = -1;              // dst too small: DETAIL = bytes this call writes
export const E_PARTIAL: i32 = -2;          // no padding, input not whole blocks: DETAIL = input bytes
export const E_CT_LEN: i32 = -3;           // CBC ciphertext not whole blocks: DETAIL = its bytes
export const E_CT_EMPTY: i32 = -4;         // CBC with padding, no ciphertext at all
export const E_PAD: i32 = -5;              // the last block's PKCS#7 padding is wrong
export const E_AAD_LATE: i32 = -6;         // AAD after data
export const E_NOT_GCM: i32 = -7;          // AAD on another mode
export const E_GCM_LONG: i32 = -8;         // GCM data past 2^36 - 32 bytes (SP 800-38D §5.2.1.1)
// Beyond it the 32-bit block counter would wrap and reuse keystream.
const GCM_MAX_DATA: u64 = (<u64>1 << 36) - 32;

// ╒═══════ context (5912 bytes, the aes machine's heap) ═══════╕
//   0 MODE u32    4 DIR u32    8 FLAGS u32    12 POS u32: bytes of the partial block (CBC/ECB:
//  16 DETAIL u32                  held in BUF; CTR/GCM: keystream bytes of BUF used, data % 16)
//  24 DATA u64: bytes of data so far      32 AAD u64: bytes of AAD so far (GCM)
//  48 CTR[16]: CBC chaining value, or the next counter block (CTR; GCM: inc32 of the last one)
//  64 BUF[16]: CBC/ECB partial input block, or the current keystream block (CTR, GCM)
//  80 EKJ0[16]: E(K, J0), the tag mask (GCM)      96 Y[16]: the GHASH state (GCM)
// 112 GBUF[16]: partial block of AAD or ciphertext being hashed (GCM)    128 TMP[16]: scratch
// 144 key schedule: KS_SIZE = 496 (T-tables), or CT_KS_SIZE = 976 (bitsliced)
// 1120 constant-time scratch (CT_SCRATCH = 632)   1752 WIDE[64]: 4 counter blocks (constant-time CTR)
// 1816 GHASH table (GH_TABLE_SIZE = 4096; constant-time: H alone, 16 bytes)
export const CX_SIZE: usize = 5912;
const CX_MODE: usize = 0, CX_DIR: usize = 4, CX_FLAGS: usize = 8, CX_POS: usize = 12;
export const CX_DETAIL: usize = 16;
const CX_DATA: usize = 24, CX_AAD: usize = 32, CX_CTR: usize = 48, CX_BUF: usize = 64, CX_EKJ0: usize = 80;
const CX_Y: usize = 96, CX_GBUF: usize = 112, CX_TMP: usize = 128, CX_KS: usize = 144;
const CX_SCR: usize = 1120, CX_WIDE: usize = 1752, CX_GH: usize = 1816;

@inline function isCT(cx: usize): bool { return (load<u32>(cx + CX_FLAGS) & FLAG_CT) != 0; }
// One block with the context's formulation.
function encBlock(cx: usize, src: usize, dst: usize): void {
  if (isCT(cx)) ctEncrypt(cx + CX_KS, src, dst, 1, cx + CX_SCR); else aesEncryptBlock(cx + CX_KS, src, dst);
}
function decBlock(cx: usize, src: usize, dst: usize): void {
  if (isCT(cx)) ctDecrypt(cx + CX_KS, src, dst, 1, cx + CX_SCR); else aesDecryptBlock(cx + CX_KS, src, dst);
}
@inline function gh(cx: usize, x: usize): void {
  if (isCT(cx)) ghashBlockCT(cx + CX_GH, cx + CX_Y, x); else ghashBlock(cx + CX_GH, cx + CX_Y, x);
}

@inline function copy16(dst: usize, src: usize): void { store<u64>(dst, load<u64>(src)); store<u64>(dst, load<u64>(src, 8), 8); }
@inline function xor16(dst: usize, a: usize, b: usize): void {
  store<u64>(dst, load<u64>(a) ^ load<u64>(b));
  store<u64>(dst, load<u64>(a, 8) ^ load<u64>(b, 8), 8);
}
@inline function zero16(p: usize): void { store<u64>(p, 0); store<u64>(p, 0, 8); }

export function cxMode(cx: usize): u32 { return load<u32>(cx + CX_MODE); }

/** Sets up context `cx` (CX_SIZE bytes). The caller checked key and IV lengths for the mode. */
export function cxInit(cx: usize, mode: u32, dir: u32, flags: u32, key: usize, keyLen: i32, iv: usize, ivLen: i32): void {
  memory.fill(cx, 0, CX_SIZE);
  store<u32>(cx + CX_MODE, mode);
  store<u32>(cx + CX_DIR, dir);
  store<u32>(cx + CX_FLAGS, flags & (FLAG_NOPAD | FLAG_CT));
  let ks = cx + CX_KS;
  if (flags & FLAG_CT) ctExpandKey(ks, key, keyLen, cx + CX_SCR); else aesExpandKey(ks, key, keyLen);
  if (mode == MODE_CBC || mode == MODE_CTR) memory.copy(cx + CX_CTR, iv, 16);
  if (mode != MODE_GCM) return;
  let h = cx + CX_TMP;                              // H = E(K, 0^128)
  zero16(h);
  encBlock(cx, h, h);
  if (flags & FLAG_CT) ghashKeyCT(cx + CX_GH, h); else ghashTable(cx + CX_GH, h);
  let j0 = cx + CX_CTR;
  if (ivLen == 12) {                                // J0 = IV || 0^31 || 1
    memory.copy(j0, iv, 12);
    store<u32>(j0 + 12, bswap<u32>(1));
  } else {                                          // J0 = GHASH(IV || 0^(s+64) || [len(IV)]_64)
    let y = cx + CX_Y, b = cx + CX_GBUF;
    for (let i = 0; i < ivLen; i += 16) {
      zero16(b);
      memory.copy(b, iv + i, <usize>min(16, ivLen - i));
      gh(cx, b);
    }
    zero16(b);
    store<u64>(b + 8, bswap<u64>(<u64>ivLen << 3));
    gh(cx, b);
    ghashOut(y, j0);
    zero16(y);
    zero16(b);
  }
  encBlock(cx, j0, cx + CX_EKJ0);
  inc32(j0);                                        // the first data block uses inc32(J0)
}

@inline function inc32(c: usize): void { store<u32>(c + 12, bswap<u32>(bswap<u32>(load<u32>(c + 12)) + 1)); }
function inc128(c: usize): void {
  for (let i = 15; i >= 0; i--) {
    let v = <u32>load<u8>(c + i) + 1;
    store<u8>(c + i, <u8>v);
    if (v < 256) return;
  }
}

/** The next keystream block into BUF: E(K, counter), then the counter steps (CTR: all 128 bits;
 *  GCM: the low 32, SP 800-38D §6.2). */
@inline function keystream(cx: usize, gcm: bool): void {
  encBlock(cx, cx + CX_CTR, cx + CX_BUF);
  if (gcm) inc32(cx + CX_CTR); else inc128(cx + CX_CTR);
}

/** Adds `n` bytes at `p` to the GHASH (AAD before data, then ciphertext), through GBUF for the
 *  partial block; `pos` is how many bytes GBUF holds. Returns the new pos. */
function hashBytes(cx: usize, p: usize, n: usize, pos: u32): u32 {
  let g = cx + CX_GBUF;
  let i: usize = 0;
  if (pos > 0) {
    while (i < n && pos < 16) store<u8>(g + pos++, load<u8>(p + i++));
    if (pos < 16) return pos;
    gh(cx, g);
    pos = 0;
  }
  if (isCT(cx)) for (; i + 16 <= n; i += 16) ghashBlockCT(cx + CX_GH, cx + CX_Y, p + i);
  else for (; i + 16 <= n; i += 16) ghashBlock(cx + CX_GH, cx + CX_Y, p + i);
  while (i < n) store<u8>(g + pos++, load<u8>(p + i++));
  return pos;
}

/** GCM: AAD, any number of calls before the first update. */
export function cxAad(cx: usize, p: usize, n: usize): i32 {
  if (load<u32>(cx + CX_MODE) != MODE_GCM) return E_NOT_GCM;
  if (load<u32>(cx + CX_FLAGS) & FLAG_DATA) return E_AAD_LATE;
  let done = load<u64>(cx + CX_AAD);
  hashBytes(cx, p, n, <u32>(done & 15));
  store<u64>(cx + CX_AAD, done + n);
  return 0;
}

// GCM: the AAD's last partial block is padded with zeros and hashed before the first data byte.
function closeAad(cx: usize): void {
  let f = load<u32>(cx + CX_FLAGS);
  if (f & FLAG_DATA) return;
  store<u32>(cx + CX_FLAGS, f | FLAG_DATA);
  let pos = <u32>(load<u64>(cx + CX_AAD) & 15);
  if (pos == 0) return;
  memory.fill(cx + CX_GBUF + pos, 0, 16 - pos);
  gh(cx, cx + CX_GBUF);
}

/** Bytes update(n) writes now: whole blocks for ECB/CBC (less one held back when decrypting
 *  with padding: it may be the last), all n for CTR/GCM. */
export function cxUpdateBytes(cx: usize, n: u32): u32 {
  let mode = load<u32>(cx + CX_MODE);
  if (mode == MODE_CTR || mode == MODE_GCM) return n;
  let total = <u64>load<u32>(cx + CX_POS) + n;
  let blocks = total >> 4;
  if (mode == MODE_CBC && load<u32>(cx + CX_DIR) == DIR_DEC && !(load<u32>(cx + CX_FLAGS) & FLAG_NOPAD) && (total & 15) == 0 && blocks > 0) blocks--;
  return <u32>(blocks << 4);
}

/** Processes `n` bytes at `src` into `dst` (cap bytes; src itself or not overlapping it).
 *  Returns the bytes written, or E_CAP / E_GCM_LONG. */
export function cxUpdate(cx: usize, src: usize, n: u32, dst: usize, cap: u32): i32 {
  let out = cxUpdateBytes(cx, n);
  if (out > cap) { store<u32>(cx + CX_DETAIL, out); return E_CAP; }
  let mode = load<u32>(cx + CX_MODE);
  if (mode == MODE_GCM && load<u64>(cx + CX_DATA) + n > GCM_MAX_DATA) return E_GCM_LONG;
  if (mode == MODE_CTR || mode == MODE_GCM) streamXor(cx, src, n, dst, mode == MODE_GCM);
  else blocks(cx, src, n, dst, out >> 4);
  store<u64>(cx + CX_DATA, load<u64>(cx + CX_DATA) + n);
  return <i32>out;
}

// CTR and GCM: dst = src ^ keystream; GCM hashes the ciphertext (dst when encrypting; GCM
// decryption hashes all of it first, in gcmOpen).
function streamXor(cx: usize, src: usize, n: u32, dst: usize, gcm: bool): void {
  let ks = cx + CX_BUF;
  let pos = load<u32>(cx + CX_POS);
  let hash = gcm && load<u32>(cx + CX_DIR) == DIR_ENC;
  if (gcm) closeAad(cx);
  let i: u32 = 0;
  while (i < n && pos != 0) {                        // finish the keystream block in use
    store<u8>(dst + i, load<u8>(src + i) ^ load<u8>(ks + pos));
    i++; pos = (pos + 1) & 15;
  }
  if (hash && i > 0) hashBytes(cx, dst, i, <u32>(load<u64>(cx + CX_DATA) & 15));
  let whole = i;
  if (isCT(cx)) {                                   // four counter blocks per bitsliced call
    let wide = cx + CX_WIDE;
    for (; i + 64 <= n; i += 64) {
      for (let k: usize = 0; k < 4; k++) {
        copy16(wide + (k << 4), cx + CX_CTR);
        if (gcm) inc32(cx + CX_CTR); else inc128(cx + CX_CTR);
      }
      ctEncrypt(cx + CX_KS, wide, wide, 4, cx + CX_SCR);
      for (let k: usize = 0; k < 64; k += 16) xor16(dst + i + k, src + i + k, wide + k);
    }
  }
  for (; i + 16 <= n; i += 16) {
    keystream(cx, gcm);
    xor16(dst + i, src + i, ks);
  }
  if (i < n) {
    keystream(cx, gcm);
    while (i < n) { store<u8>(dst + i, load<u8>(src + i) ^ load<u8>(ks + pos)); i++; pos++; }
  }
  if (hash && n > whole) {
    let before = <u32>((load<u64>(cx + CX_DATA) + whole) & 15);
    hashBytes(cx, dst + whole, n - whole, before);
  }
  store<u32>(cx + CX_POS, pos);
}

// ECB and CBC: `count` whole blocks out, taken from BUF's partial block then from src; the rest
// of src goes to BUF. In place (dst == src) works: each input block is copied before its output.
function blocks(cx: usize, src: usize, n: u32, dst: usize, count: u32): void {
  let iv = cx + CX_CTR, buf = cx + CX_BUF, tmp = cx + CX_TMP;
  let pos = load<u32>(cx + CX_POS);
  let cbc = load<u32>(cx + CX_MODE) == MODE_CBC, enc = load<u32>(cx + CX_DIR) == DIR_ENC;
  let i: u32 = 0;
  for (let b: u32 = 0; b < count; b++) {
    let blk: usize;
    if (pos > 0) {                                  // complete the partial block
      let take = 16 - pos;
      memory.copy(buf + pos, src + i, take);
      i += take; pos = 0;
      blk = buf;
    } else {
      copy16(buf, src + i);
      i += 16;
      blk = buf;
    }
    let o = dst + (<usize>b << 4);
    if (enc) {
      if (cbc) xor16(blk, blk, iv);
      encBlock(cx, blk, o);
      if (cbc) copy16(iv, o);
    } else {
      decBlock(cx, blk, tmp);
      if (cbc) { xor16(o, tmp, iv); copy16(iv, blk); }
      else copy16(o, tmp);
    }
  }
  if (i < n) { memory.copy(buf + pos, src + i, n - i); pos += n - i; }
  store<u32>(cx + CX_POS, pos);
}

/** Ends the data: writes what is left (CBC: the padded last block; GCM: nothing) and, for GCM
 *  encryption, the 16-byte tag at `tag`. Returns the bytes written at dst, or an error. */
export function cxFinal(cx: usize, dst: usize, cap: u32, tag: usize): i32 {
  let mode = load<u32>(cx + CX_MODE), enc = load<u32>(cx + CX_DIR) == DIR_ENC;
  let pad = !(load<u32>(cx + CX_FLAGS) & FLAG_NOPAD) && mode == MODE_CBC;
  let pos = load<u32>(cx + CX_POS), total = load<u64>(cx + CX_DATA);
  store<u32>(cx + CX_DETAIL, <u32>min<u64>(total, 0xFFFFFFFF));
  if (mode == MODE_CTR) return 0;
  if (mode == MODE_GCM) { gcmTag(cx, tag); return 0; }
  if (!pad) return pos == 0 ? 0 : (enc || mode == MODE_ECB ? E_PARTIAL : E_CT_LEN);
  let buf = cx + CX_BUF, tmp = cx + CX_TMP;
  if (enc) {                                        // PKCS#7: 1..16 bytes, each the pad length
    if (cap < 16) { store<u32>(cx + CX_DETAIL, 16); return E_CAP; }
    memory.fill(buf + pos, <u8>(16 - pos), 16 - pos);
    xor16(buf, buf, cx + CX_CTR);
    encBlock(cx, buf, dst);
    return 16;
  }
  if (total == 0) return E_CT_EMPTY;
  if (pos != 16) return E_CT_LEN;                   // the held-back last block is whole
  decBlock(cx, buf, tmp);
  xor16(tmp, tmp, cx + CX_CTR);
  // The padding is checked without a branch per byte: bad = p == 0, p > 16, or a byte != p.
  let p = <u32>load<u8>(tmp + 15), bad: u32 = ((p - 1) >> 8) | ((16 - p) >> 8);
  for (let k: u32 = 0; k < 16; k++) {
    let inPad = ((15 - k) - p) >> 31;               // all ones when k >= 16 - p
    bad |= inPad & (<u32>load<u8>(tmp + k) ^ p);
  }
  if (bad != 0) { zero16(tmp); return E_PAD; }
  if (cap < 16 - p) { store<u32>(cx + CX_DETAIL, 16 - p); return E_CAP; }
  memory.copy(dst, tmp, 16 - p);
  zero16(tmp);
  return <i32>(16 - p);
}

// GCM: the last partial ciphertext block and [len(A)]_64 || [len(C)]_64 into GHASH; tag = E(K, J0) ^ S.
function gcmTag(cx: usize, tag: usize): void {
  closeAad(cx);
  let pos = <u32>(load<u64>(cx + CX_DATA) & 15), g = cx + CX_GBUF;
  if (pos > 0) {
    memory.fill(g + pos, 0, 16 - pos);
    gh(cx, g);
  }
  store<u64>(g, bswap<u64>(load<u64>(cx + CX_AAD) << 3));
  store<u64>(g + 8, bswap<u64>(load<u64>(cx + CX_DATA) << 3));
  gh(cx, g);
  ghashOut(cx + CX_Y, cx + CX_TMP);
  xor16(tag, cx + CX_TMP, cx + CX_EKJ0);
}

/** GCM decryption: one pass over the ciphertext for the tag, then one to decrypt, so no
 *  plaintext is written unless the 16 bytes at `tag` match. `cx` was set up for GCM decryption
 *  and given its AAD. Returns whether the tag matched. */
export function gcmOpen(cx: usize, src: usize, n: u32, tag: usize, dst: usize): bool {
  closeAad(cx);
  hashBytes(cx, src, n, 0);                         // the tail stays in GBUF; gcmTag pads it
  store<u64>(cx + CX_DATA, n);
  let mine = cx + CX_TMP;
  gcmTag(cx, mine);
  // All 16 bytes compared whatever the first difference (no early exit).
  let diff: u64 = (load<u64>(mine) ^ load<u64>(tag)) | (load<u64>(mine, 8) ^ load<u64>(tag, 8));
  if (diff != 0) return false;
  store<u32>(cx + CX_POS, 0);
  streamXor(cx, src, n, dst, true);
  return true;
}
