// Seal and unseal throughput for RSA-4096 values, next to the raw node:crypto RSA-OAEP decrypt
// rate, so the overhead of sealbridge's own code is visible. Run: npm run bench:seal
import { constants, privateDecrypt, publicEncrypt } from "node:crypto";
import { generateSealingKeyPair, parseRsaPrivateKeyPem, parseSealingCertificate } from "../src/crypto/certificate.ts";
import { sealValue, unsealValue } from "../src/crypto/sealed.ts";
import { scopeLabel } from "../src/crypto/scope.ts";

const seconds = Number(process.env["BENCH_SECONDS"] ?? "2");

function rate(name: string, fn: () => void): number {
  for (let i = 0; i < 5; i++) fn(); // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    fn();
    n++;
    now = process.hrtime.bigint();
  }
  const perSecond = n / (Number(now - start) / 1e9);
  console.log(`${name.padEnd(46)} ${perSecond.toFixed(1).padStart(10)} values/s  (${n} in ${(Number(now - start) / 1e9).toFixed(2)} s)`);
  return perSecond;
}

const now = new Date();
const pair = await generateSealingKeyPair({ now });
const cert = parseSealingCertificate(pair.certificatePem, now);
const key = parseRsaPrivateKeyPem(pair.privateKeyPem);
const label = scopeLabel("strict", "payments", "db-credentials");
const plaintext = Buffer.alloc(64, 0x61);
const value = sealValue({ publicKey: cert.publicKey, plaintext, label });
const rsaBlock = publicEncrypt(
  { key: cert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: label },
  Buffer.alloc(32, 1),
);

console.log(`node ${process.version}, RSA-4096, 64-byte values, ${seconds} s per measurement`);
rate("seal (sealValue)", () => sealValue({ publicKey: cert.publicKey, plaintext, label }));
const unseal = rate("unseal (unsealValue)", () => unsealValue({ privateKeys: [key], label, value }));
const raw = rate("raw node:crypto RSA-OAEP-SHA256 decrypt", () =>
  privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: label }, rsaBlock),
);
console.log(`unseal / raw RSA decrypt: ${((unseal / raw) * 100).toFixed(1)}% (overhead ${((1 - unseal / raw) * 100).toFixed(1)}%)`);
