// ghostkit/crypto against node:crypto, @noble/curves + @noble/hashes, libsecp256k1 (the
// `secp256k1` binding) and hash-wasm. Workloads and targets: shared/docs/BENCH.md.
// Every competitor uses its fastest idiomatic API: KeyObjects / SecretKey objects made once
// for signing, crypto.hash() one-shots, reusable hash-wasm hashers.
//
//   node bench/crypto.mjs [--quick] [--filter <substring>]   (or: npm run bench -- crypto)

import nodeCrypto from 'node:crypto'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { ed25519 as nobleEd25519, x25519 as nobleX25519 } from '@noble/curves/ed25519.js'
import { secp256k1 as nobleSecp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js'
import { sha3_256 as nobleSha3_256, keccak_256 as nobleKeccak256 } from '@noble/hashes/sha3.js'
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js'
import { hmac as nobleHmac } from '@noble/hashes/hmac.js'
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js'
import * as hashWasm from 'hash-wasm'
import { parseBenchArgs, runBenchmark } from './harness.mjs'

const require = createRequire(import.meta.url)

export const TARGETS = { node: 1.0, noble: 10, libsecp256k1: 0.7 }

const MiB = 1024 * 1024
const ARGON2 = { t: 3, m: 64 * 1024, p: 1, dkLen: 32 }

const b64url = (b) => Buffer.from(b).toString('base64url')

// BLAKE3's anchors are hash-wasm and @noble/hashes: the `blake3` npm package cannot be
// installed (blake3@3 depends on a blake3-wasm version that is not on the registry).

// Fail loudly if libsecp256k1's native binding is missing: `secp256k1` silently falls back
// to elliptic.js, which is not the anchor BENCH.md means.
function loadLibsecp256k1() {
  return require('secp256k1/bindings')
}

function signatureCases(gk) {
  const msg = nodeCrypto.randomBytes(64)
  const tampered = Buffer.from(msg)
  tampered[0] ^= 1

  // Ed25519: the same seed in every library, so signatures must match byte for byte.
  const edSeed = nodeCrypto.randomBytes(32)
  const edPub = nobleEd25519.getPublicKey(edSeed)
  const edKey = gk.SecretKey.from('ed25519', edSeed)
  const edNodePriv = nodeCrypto.createPrivateKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'Ed25519', d: b64url(edSeed), x: b64url(edPub) },
  })
  const edNodePub = nodeCrypto.createPublicKey(edNodePriv)
  const edSig = nobleEd25519.sign(msg, edSeed)

  // secp256k1: sign/verify a 32-byte digest. node:crypto cannot take a digest, so it is
  // given the 64-byte message whose SHA-256 is that digest (a ~0.3 µs extra hash).
  const k1Secret = nobleSecp256k1.utils.randomSecretKey()
  const k1Pub = nobleSecp256k1.getPublicKey(k1Secret, true)
  const k1PubFull = nobleSecp256k1.getPublicKey(k1Secret, false)
  const k1Key = gk.SecretKey.from('secp256k1', k1Secret)
  const k1Jwk = {
    kty: 'EC',
    crv: 'secp256k1',
    x: b64url(k1PubFull.subarray(1, 33)),
    y: b64url(k1PubFull.subarray(33, 65)),
  }
  const k1NodePriv = nodeCrypto.createPrivateKey({ format: 'jwk', key: { ...k1Jwk, d: b64url(k1Secret) } })
  const k1NodePub = nodeCrypto.createPublicKey({ format: 'jwk', key: k1Jwk })
  const nodeK1 = { key: k1NodePriv, dsaEncoding: 'ieee-p1363' }
  const nodeK1Pub = { key: k1NodePub, dsaEncoding: 'ieee-p1363' }
  const digest = nodeCrypto.hash('sha256', msg, 'buffer')
  const badDigest = nodeCrypto.hash('sha256', tampered, 'buffer')
  const lib = loadLibsecp256k1()
  const libSig = lib.ecdsaSign(digest, k1Secret)
  const k1Sig = Uint8Array.from(libSig.signature)
  const k1SigRecovered = Uint8Array.from([...k1Sig, libSig.recid])
  const k1SigNobleRecovered = Uint8Array.from([libSig.recid, ...k1Sig])
  // OpenSSL's nonce is random: accept any signature that verifies (high-S allowed).
  const verifiesDigest = (sig) => nobleSecp256k1.verify(sig, digest, k1Pub, { prehash: false, lowS: false })

  const expectFalse = (name, ok) => {
    if (ok !== false) throw new Error(`${name} accepted a tampered message`)
  }

  return [
    {
      name: 'Ed25519 sign 64 B',
      competitors: [
        { name: 'ghostkit', anchor: 'ghostkit', fn: () => gk.ed25519.sign(msg, edKey) },
        { name: 'node:crypto', anchor: 'node', fn: () => nodeCrypto.sign(null, msg, edNodePriv) },
        { name: '@noble/curves', anchor: 'noble', fn: () => nobleEd25519.sign(msg, edSeed) },
      ],
    },
    {
      name: 'Ed25519 verify 64 B',
      check() {
        expectFalse('ghostkit', gk.ed25519.verify(edSig, tampered, edPub))
        expectFalse('node:crypto', nodeCrypto.verify(null, tampered, edNodePub, edSig))
      },
      competitors: [
        { name: 'ghostkit', anchor: 'ghostkit', fn: () => gk.ed25519.verify(edSig, msg, edPub) },
        { name: 'node:crypto', anchor: 'node', fn: () => nodeCrypto.verify(null, msg, edNodePub, edSig) },
        { name: '@noble/curves', anchor: 'noble', fn: () => nobleEd25519.verify(edSig, msg, edPub) },
      ],
    },
    {
      name: 'secp256k1 sign 32 B digest',
      competitors: [
        { name: 'ghostkit', anchor: 'ghostkit', fn: () => gk.secp256k1.sign(digest, k1Key) },
        { name: 'libsecp256k1', anchor: 'libsecp256k1', fn: () => lib.ecdsaSign(digest, k1Secret).signature },
        {
          name: 'node:crypto',
          anchor: 'node',
          fn: () => nodeCrypto.sign('sha256', msg, nodeK1),
          compare: (sig) => verifiesDigest(sig),
        },
        {
          name: '@noble/curves',
          anchor: 'noble',
          fn: () => nobleSecp256k1.sign(digest, k1Secret, { prehash: false }),
        },
      ],
    },
    {
      name: 'secp256k1 verify 32 B digest',
      check() {
        expectFalse('ghostkit', gk.secp256k1.verify(k1Sig, badDigest, k1Pub))
        expectFalse('libsecp256k1', lib.ecdsaVerify(k1Sig, badDigest, k1Pub))
      },
      competitors: [
        { name: 'ghostkit', anchor: 'ghostkit', fn: () => gk.secp256k1.verify(k1Sig, digest, k1Pub) },
        { name: 'libsecp256k1', anchor: 'libsecp256k1', fn: () => lib.ecdsaVerify(k1Sig, digest, k1Pub) },
        { name: 'node:crypto', anchor: 'node', fn: () => nodeCrypto.verify('sha256', msg, nodeK1Pub, k1Sig) },
        {
          name: '@noble/curves',
          anchor: 'noble',
          fn: () => nobleSecp256k1.verify(k1Sig, digest, k1Pub, { prehash: false }),
        },
      ],
    },
    {
      name: 'secp256k1 recover 32 B digest',
      competitors: [
        {
          name: 'ghostkit',
          anchor: 'ghostkit',
          fn: () => gk.secp256k1.recoverPublicKey(k1SigRecovered, digest, true),
        },
        {
          name: 'libsecp256k1',
          anchor: 'libsecp256k1',
          fn: () => lib.ecdsaRecover(k1Sig, libSig.recid, digest, true),
        },
        {
          name: '@noble/curves',
          anchor: 'noble',
          fn: () => nobleSecp256k1.recoverPublicKey(k1SigNobleRecovered, digest, { prehash: false }),
        },
      ],
    },
  ]
}

async function hashCases(gk) {
  const hashWasmBlake3 = await hashWasm.createBLAKE3()
  const hashWasmKeccak = await hashWasm.createKeccak(256)
  const viaHasher = (h, data) => {
    h.init()
    h.update(data)
    return h.digest('binary')
  }
  const algorithms = [
    { label: 'SHA-256', ghostkit: gk.sha256, node: 'sha256', noble: nobleSha256 },
    { label: 'SHA-512', ghostkit: gk.sha512, node: 'sha512', noble: nobleSha512 },
    { label: 'SHA3-256', ghostkit: gk.sha3_256, node: 'sha3-256', noble: nobleSha3_256 },
    { label: 'Keccak-256', ghostkit: gk.keccak_256, noble: nobleKeccak256, hashWasm: hashWasmKeccak },
    { label: 'BLAKE3', ghostkit: gk.blake3, noble: nobleBlake3, hashWasm: hashWasmBlake3 },
  ]
  const cases = []
  for (const [sizeLabel, bytes] of [['64 B', 64], ['1 MiB', MiB]]) {
    const data = nodeCrypto.randomBytes(bytes)
    for (const a of algorithms) {
      const competitors = [{ name: 'ghostkit', anchor: 'ghostkit', fn: () => a.ghostkit(data) }]
      if (a.node) competitors.push({ name: 'node:crypto', anchor: 'node', fn: () => nodeCrypto.hash(a.node, data, 'buffer') })
      if (a.hashWasm) competitors.push({ name: 'hash-wasm', anchor: 'hash-wasm', fn: () => viaHasher(a.hashWasm, data) })
      competitors.push({ name: '@noble/hashes', anchor: 'noble', fn: () => a.noble(data) })
      cases.push({ name: `${a.label} ${sizeLabel}`, bytes, competitors })
    }
  }
  return cases
}

function aeadCases(gk) {
  const plaintext = nodeCrypto.randomBytes(16 * 1024)
  const key = nodeCrypto.randomBytes(32)
  const nonce = nodeCrypto.randomBytes(12)
  // node:crypto hands back ciphertext and tag separately; joining them is not timed.
  const nodeSeal = (cipher) => {
    const c = nodeCrypto.createCipheriv(cipher, key, nonce, { authTagLength: 16 })
    const ct = c.update(plaintext)
    c.final()
    return [ct, c.getAuthTag()]
  }
  return [
    ['AES-256-GCM seal 16 KiB', gk.aes256gcm, 'aes-256-gcm'],
    ['ChaCha20-Poly1305 seal 16 KiB', gk.chacha20poly1305, 'chacha20-poly1305'],
  ].map(([name, aead, cipher]) => ({
    name,
    bytes: plaintext.length,
    check() {
      const sealed = aead.seal(key, nonce, plaintext)
      if (!Buffer.from(aead.open(key, nonce, sealed)).equals(plaintext)) throw new Error(`${name}: open(seal(x)) != x`)
    },
    competitors: [
      { name: 'ghostkit', anchor: 'ghostkit', fn: () => aead.seal(key, nonce, plaintext) },
      {
        name: 'node:crypto',
        anchor: 'node',
        fn: () => nodeSeal(cipher),
        output: () => Buffer.concat(nodeSeal(cipher)),
      },
    ],
  }))
}

function keyAgreementAndMacCases(gk) {
  const aliceSecret = nobleX25519.utils.randomSecretKey()
  const bobSecret = nobleX25519.utils.randomSecretKey()
  const alicePub = nobleX25519.getPublicKey(aliceSecret)
  const bobPub = nobleX25519.getPublicKey(bobSecret)
  const aliceKey = gk.SecretKey.from('x25519', aliceSecret)
  const nodePriv = nodeCrypto.createPrivateKey({
    format: 'jwk',
    key: { kty: 'OKP', crv: 'X25519', d: b64url(aliceSecret), x: b64url(alicePub) },
  })
  const nodeBobPub = nodeCrypto.createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'X25519', x: b64url(bobPub) } })
  const macKey = nodeCrypto.randomBytes(32)
  const msg = nodeCrypto.randomBytes(64)
  return [
    {
      name: 'X25519 shared secret',
      competitors: [
        { name: 'ghostkit', anchor: 'ghostkit', fn: () => gk.x25519.getSharedSecret(aliceKey, bobPub) },
        {
          name: 'node:crypto',
          anchor: 'node',
          fn: () => nodeCrypto.diffieHellman({ privateKey: nodePriv, publicKey: nodeBobPub }),
        },
        { name: '@noble/curves', anchor: 'noble', fn: () => nobleX25519.getSharedSecret(aliceSecret, bobPub) },
      ],
    },
    {
      name: 'HMAC-SHA256 64 B',
      competitors: [
        { name: 'ghostkit', anchor: 'ghostkit', fn: () => gk.hmac('sha256', macKey, msg) },
        {
          name: 'node:crypto',
          anchor: 'node',
          fn: () => nodeCrypto.createHmac('sha256', macKey).update(msg).digest(),
        },
        { name: '@noble/hashes', anchor: 'noble', fn: () => nobleHmac(nobleSha256, macKey, msg) },
      ],
    },
  ]
}

function argon2Case(gk) {
  const password = Buffer.from('correct horse battery staple')
  const salt = nodeCrypto.randomBytes(16)
  return {
    name: 'Argon2id m=64 MiB t=3 p=1',
    pairs: { quick: 3 },
    competitors: [
      { name: 'ghostkit (async)', anchor: 'ghostkit', fn: () => gk.argon2id(password, salt, ARGON2) },
      {
        name: 'hash-wasm',
        anchor: 'hash-wasm',
        fn: () =>
          hashWasm.argon2id({
            password,
            salt,
            iterations: ARGON2.t,
            memorySize: ARGON2.m,
            parallelism: ARGON2.p,
            hashLength: ARGON2.dkLen,
            outputType: 'binary',
          }),
      },
      { name: '@noble/hashes', anchor: 'noble', fn: () => nobleArgon2id(password, salt, ARGON2) },
    ],
  }
}

/** The crypto benchmark definition, for bench/run.mjs. */
export async function define() {
  const gk = require('../lib/crypto.js')
  const info = { 'ghostkit cpuLevel': gk.cpuLevel }
  return {
    module: 'crypto',
    targets: TARGETS,
    info,
    cases: [
      ...signatureCases(gk),
      ...(await hashCases(gk)),
      ...aeadCases(gk),
      ...keyAgreementAndMacCases(gk),
      argon2Case(gk),
    ],
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = parseBenchArgs(process.argv.slice(2))
  await runBenchmark(await define(), opts)
}
