// aes-host-driver.ts: JS on the Node host calling machine aes of programs/aes_host.ts through the
// generated TypeScript client (aams/aes/aes_igen_host.ts) and the host transport (startImage):
// whole messages encrypted and decrypted in chunks, as a streaming caller would.
// aes.test.mjs bundles it with esbuild (the test suite runs plain ESM) and calls start().
import { loadImage, startImage } from "../../tools/host/node";
import { aesClient, AesMode, AesDir } from "../../aams/aes/aes_igen_host";

const MODES: Record<string, number> = { ecb: AesMode.AES_ECB, cbc: AesMode.AES_CBC, ctr: AesMode.AES_CTR, gcm: AesMode.AES_GCM };

export interface Op { mode: string; key: Uint8Array; iv: Uint8Array; aad?: Uint8Array; data: Uint8Array; chunk: number; tag?: Uint8Array; nopad?: boolean; ct?: boolean }

/** A running aes machine: enc/dec whole messages; stop() ends the system. */
export function start(image: string, workerPath: string, cores: number) {
  const sys = startImage({ ...loadImage(image), cores, args: ["aes_host"], env: {}, workerPath, fds: [1, 2] });
  const aes = aesClient(sys);

  async function stream(dir: number, o: Op): Promise<{ out: Uint8Array; tag?: Uint8Array }> {
    const h = await aes.open(MODES[o.mode] as any, dir as any, o.key, o.iv, (o.nopad ? 1 : 0) | (o.ct ? 2 : 0));
    if (o.aad && o.aad.length) await aes.aad(h, o.aad);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < o.data.length; i += o.chunk) {
      const src = o.data.subarray(i, Math.min(o.data.length, i + o.chunk));
      const r = await aes.update(h, src, src.length + 16);
      parts.push(r.dst.slice(0, r.result));
    }
    const f = await aes.final(h, 16);
    parts.push(f.dst.slice(0, f.result));
    return { out: Buffer.concat(parts), tag: o.mode === "gcm" ? Buffer.from(f.tag) : undefined };
  }

  return {
    encrypt: (o: Op) => stream(AesDir.AES_ENCRYPT, o),
    async decrypt(o: Op): Promise<{ out: Uint8Array }> {
      if (o.mode !== "gcm") return stream(AesDir.AES_DECRYPT, o);
      const r = await aes.gcmDecrypt(o.key, o.iv, o.aad ?? new Uint8Array(0), o.data, o.tag!, o.data.length, o.ct ? 2 : 0);
      return { out: Buffer.from(r.dst) };
    },
    stop: () => sys.stop(0),
  };
}
