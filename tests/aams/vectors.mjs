// vectors.mjs: the published AES test vectors tests/aams checks machine aes against, as data.
// FIPS-197 appendix C (one block, each key size), SP 800-38A appendix F (ECB, CBC, CTR over the
// same four blocks, each key size) and the GCM test cases 1-6 of McGrew and Viega's GCM
// specification, which SP 800-38D's validation uses (96-bit, 64-bit and 480-bit IVs, AAD).

export const FIPS197 = [
  { bits: 128, key: "000102030405060708090a0b0c0d0e0f", pt: "00112233445566778899aabbccddeeff", ct: "69c4e0d86a7b0430d8cdb78070b4c55a" },
  { bits: 192, key: "000102030405060708090a0b0c0d0e0f1011121314151617", pt: "00112233445566778899aabbccddeeff", ct: "dda97ca4864cdfe06eaf70a0ec0d7191" },
  { bits: 256, key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", pt: "00112233445566778899aabbccddeeff", ct: "8ea2b7ca516745bfeafc49904b496089" },
];

const P38A = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const K38A = {
  128: "2b7e151628aed2a6abf7158809cf4f3c",
  192: "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
  256: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
};
const IV38A = { ecb: "", cbc: "000102030405060708090a0b0c0d0e0f", ctr: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff" };
const CT38A = {
  ecb128: "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4",
  ecb192: "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eefef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e",
  ecb256: "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7",
  cbc128: "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
  cbc192: "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd",
  cbc256: "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
  ctr128: "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
  ctr192: "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e941e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050",
  ctr256: "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
};
/** SP 800-38A F.1, F.2, F.5: { name, mode, bits, key, iv, pt, ct } (CBC without padding, as there). */
export const SP800_38A = Object.entries(CT38A).map(([name, ct]) => {
  const mode = name.slice(0, 3), bits = Number(name.slice(3));
  return { name, mode, bits, key: K38A[bits], iv: IV38A[mode], pt: P38A, ct };
});

const K3 = "feffe9928665731c6d6a8f9467308308";
const P3 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const A4 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
/** GCM test cases 1-6: { tc, key, iv, pt, aad, ct, tag }. */
export const GCM = [
  { tc: 1, key: "00000000000000000000000000000000", iv: "000000000000000000000000", pt: "", aad: "", ct: "", tag: "58e2fccefa7e3061367f1d57a4e7455a" },
  { tc: 2, key: "00000000000000000000000000000000", iv: "000000000000000000000000", pt: "00000000000000000000000000000000", aad: "",
    ct: "0388dace60b6a392f328c2b971b2fe78", tag: "ab6e47d42cec13bdf53a67b21257bddf" },
  { tc: 3, key: K3, iv: "cafebabefacedbaddecaf888", pt: P3, aad: "",
    ct: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
    tag: "4d5c2af327cd64a62cf35abd2ba6fab4" },
  { tc: 4, key: K3, iv: "cafebabefacedbaddecaf888", pt: P3.slice(0, 120), aad: A4,
    ct: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
    tag: "5bc94fbc3221a5db94fae95ae7121a47" },
  { tc: 5, key: K3, iv: "cafebabefacedbad", pt: P3.slice(0, 120), aad: A4,
    ct: "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
    tag: "3612d2e79e3b0785561be14aaca2fccb" },
  { tc: 6, key: K3, iv: "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
    pt: P3.slice(0, 120), aad: A4,
    ct: "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
    tag: "619cc5aefffe0bfa462af43c1699d050" },
];

/** The operations of programs/aes_cli.ts for every vector above, with the line each must print:
 *  [spec, expected]. Updates of `chunk` bytes (0: one update), so streaming is checked too;
 *  `ct`: with the constant-time cipher (AES_CONSTTIME). */
export function vectorOps(chunks = [0], ct = false) {
  const ops = [];
  const f = (flags) => (ct ? (flags ? flags + "+ct" : "ct") : flags);
  for (const v of FIPS197) {
    ops.push([`enc:ecb:${v.key}:::${v.pt}:0::${f("")}`, `out ${v.ct}`]);
    ops.push([`dec:ecb:${v.key}:::${v.ct}:0::${f("")}`, `out ${v.pt}`]);
  }
  for (const v of SP800_38A) {
    for (const chunk of v.mode === "ecb" ? [0, 16] : chunks) {
      ops.push([`enc:${v.mode}:${v.key}:${v.iv}::${v.pt}:${chunk}::${f("nopad")}`, `out ${v.ct}`]);
      ops.push([`dec:${v.mode}:${v.key}:${v.iv}::${v.ct}:${chunk}::${f("nopad")}`, `out ${v.pt}`]);
    }
  }
  for (const v of GCM) {
    for (const chunk of chunks) ops.push([`enc:gcm:${v.key}:${v.iv}:${v.aad}:${v.pt}:${chunk}::${f("")}`, `out ${v.ct} tag ${v.tag}`]);
    ops.push([`dec:gcm:${v.key}:${v.iv}:${v.aad}:${v.ct}:0:${v.tag}:${f("")}`, `out ${v.pt}`]);
  }
  return ops;
}
