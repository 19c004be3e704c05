// Randomised cross-checks of ghostkit/crypto against node:crypto, @noble and libsecp256k1.
// Deterministic: the seed is printed; replay with GHOSTKIT_TEST_SEED=<seed>.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import nodeCrypto from 'node:crypto'
import { createRequire } from 'node:module'
import { secp256k1 as nobleSecp } from '@noble/curves/secp256k1.js'
import { ed25519 as nobleEd, x25519 as nobleX } from '@noble/curves/ed25519.js'
import { keccak_256 as nobleKeccak } from '@noble/hashes/sha3.js'
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js'
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js'
import { loadCrypto, hex, unhex, concat, utf8, assertBytes, throwsCode, makeRng, randomChunks, checkCpuLevel } from './_helpers.mjs'

const crypto = loadCrypto()
// 'secp256k1/bindings' is the libsecp256k1 native binding; plain 'secp256k1' would fall back to
// elliptic.js silently when the binding is missing, and this must fail loudly instead.
const libsecp = createRequire(import.meta.url)('secp256k1/bindings')

const SEED = makeRng().seed
/** An independent generator per test, so each test replays alone with the same seed. */
function rngFor(name) {
  let h = SEED
  for (const ch of name) h = (Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0)
  return makeRng(h)
}

/** Puts `data` at a random offset inside a larger buffer (checks byteOffset handling), or as a Buffer. */
function view(rng, data) {
  const k = rng.int(0, 2)
  if (k === 0) return data
  if (k === 1) return Buffer.from(data)
  const off = rng.int(1, 7)
  const big = rng.bytes(data.length + off + rng.int(0, 5))
  big.set(data, off)
  return big.subarray(off, off + data.length)
}

const node = (u) => new Uint8Array(u)

describe('setup', () => {
  it('cpu level and seed', (t) => {
    checkCpuLevel(t, crypto)
    t.diagnostic(`crosscheck seed = ${SEED} (replay: GHOSTKIT_TEST_SEED=${SEED})`)
    assert.equal(typeof SEED, 'number')
  })
})

// ---------------------------------------------------------------------------------------------
describe('hashes vs node:crypto', () => {
  const algos = [
    ['sha256', 'sha256', 32, 64],
    ['sha512', 'sha512', 64, 128],
    ['sha3_256', 'sha3-256', 32, 136],
    ['sha3_512', 'sha3-512', 64, 72],
  ]
  const edges = [0, 1, 3, 31, 32, 33, 55, 56, 57, 63, 64, 65, 71, 72, 73, 111, 112, 113, 127, 128, 129, 135, 136, 137, 255, 256, 257, 1024, 4096]
  for (const [name, nodeName, outLen, blockLen] of algos) {
    it(`${name}: one-shot, ${edges.length} edge + 250 random lengths`, (t) => {
      const rng = rngFor(name + ' oneshot')
      const fn = crypto[name]
      assert.equal(fn.outputLen, outLen)
      assert.equal(fn.blockLen, blockLen)
      const lens = [...edges, ...Array.from({ length: 250 }, () => rng.int(0, 4096))]
      for (const len of lens) {
        const data = rng.bytes(len)
        const want = nodeCrypto.createHash(nodeName).update(data).digest('hex')
        assertBytes(fn(view(rng, data)), want, `${name} len ${len}`)
      }
    })
    it(`${name}: streaming with random chunking and clone, 80 inputs`, () => {
      const rng = rngFor(name + ' stream')
      const fn = crypto[name]
      for (let i = 0; i < 80; i++) {
        const data = rng.bytes(rng.int(0, 4096))
        const h = fn.create()
        const cut = rng.int(0, data.length)
        for (const c of randomChunks(rng, data.subarray(0, cut))) assert.equal(h.update(view(rng, c)), h, 'update returns this')
        const c1 = h.clone()
        // Feed the clone something else: the two must stay independent.
        const other = rng.bytes(rng.int(0, 300))
        for (const c of randomChunks(rng, other)) c1.update(c)
        for (const c of randomChunks(rng, data.subarray(cut))) h.update(c)
        const want = nodeCrypto.createHash(nodeName).update(data).digest('hex')
        const wantClone = nodeCrypto.createHash(nodeName).update(data.subarray(0, cut)).update(other).digest('hex')
        assertBytes(h.digest(), want, `${name} stream ${i} len ${data.length} cut ${cut}`)
        assertBytes(c1.digest(), wantClone, `${name} clone ${i} cut ${cut} other ${other.length}`)
      }
    })
  }
})

describe('MAC / KDF vs node:crypto', () => {
  it('hmac sha256/sha512: 400 random keys (0..300 bytes) and messages', () => {
    const rng = rngFor('hmac')
    for (let i = 0; i < 400; i++) {
      const hash = i % 2 ? 'sha512' : 'sha256'
      const key = rng.bytes(rng.int(0, 300)), msg = rng.bytes(rng.int(0, 2000))
      const want = nodeCrypto.createHmac(hash, key).update(msg).digest('hex')
      assertBytes(crypto.hmac(hash, view(rng, key), view(rng, msg)), want, `hmac ${hash} key ${key.length} msg ${msg.length}`)
    }
  })
  it('hkdf sha256/sha512: 300 random (salt/info omitted, empty or random)', () => {
    const rng = rngFor('hkdf')
    for (let i = 0; i < 300; i++) {
      const hash = i % 2 ? 'sha512' : 'sha256'
      const max = 255 * (hash === 'sha256' ? 32 : 64)
      const ikm = rng.bytes(rng.int(0, 100))
      const saltKind = rng.int(0, 2)
      const salt = saltKind === 0 ? undefined : saltKind === 1 ? new Uint8Array(0) : rng.bytes(rng.int(1, 200))
      const info = rng.bool() ? undefined : rng.bytes(rng.int(0, 300))
      const len = rng.pick([1, max, rng.int(1, 100), rng.int(1, max)])
      const want = Buffer.from(nodeCrypto.hkdfSync(hash, ikm, salt ?? new Uint8Array(0), info ?? new Uint8Array(0), len)).toString('hex')
      assertBytes(crypto.hkdf(hash, ikm, salt, info, len), want, `hkdf ${hash} ikm ${ikm.length} salt ${salt && salt.length} info ${info && info.length} len ${len}`)
    }
  })
  it('pbkdf2Sync sha256/sha512: 60 random (c 1..64, dkLen 1..200) and pbkdf2 (async) on 10', async () => {
    const rng = rngFor('pbkdf2')
    for (let i = 0; i < 60; i++) {
      const hash = i % 2 ? 'sha512' : 'sha256'
      const pw = rng.bytes(rng.int(0, 150)), salt = rng.bytes(rng.int(0, 64))
      const c = rng.int(1, 64), dkLen = rng.int(1, 200)
      const want = nodeCrypto.pbkdf2Sync(pw, salt, c, dkLen, hash).toString('hex')
      assertBytes(crypto.pbkdf2Sync(hash, view(rng, pw), view(rng, salt), { c, dkLen }), want, `pbkdf2Sync ${hash} c ${c} dkLen ${dkLen}`)
      if (i < 10) assertBytes(await crypto.pbkdf2(hash, pw, salt, { c, dkLen }), want, `pbkdf2 ${hash} c ${c} dkLen ${dkLen}`)
    }
  })
})

// ---------------------------------------------------------------------------------------------
/** HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2), used to build an XChaCha20-Poly1305 reference on node's ChaCha20-Poly1305. */
function hchacha20(key, nonce16) {
  const s = new Uint32Array(16)
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])
  const dv = new DataView(key.buffer, key.byteOffset, 32)
  const dn = new DataView(nonce16.buffer, nonce16.byteOffset, 16)
  for (let i = 0; i < 8; i++) s[4 + i] = dv.getUint32(4 * i, true)
  for (let i = 0; i < 4; i++) s[12 + i] = dn.getUint32(4 * i, true)
  const R = (v, c) => (v << c) | (v >>> (32 - c))
  const q = (a, b, c, d) => {
    s[a] += s[b]; s[d] = R(s[d] ^ s[a], 16); s[c] += s[d]; s[b] = R(s[b] ^ s[c], 12)
    s[a] += s[b]; s[d] = R(s[d] ^ s[a], 8); s[c] += s[d]; s[b] = R(s[b] ^ s[c], 7)
  }
  for (let i = 0; i < 10; i++) {
    q(0, 4, 8, 12); q(1, 5, 9, 13); q(2, 6, 10, 14); q(3, 7, 11, 15)
    q(0, 5, 10, 15); q(1, 6, 11, 12); q(2, 7, 8, 13); q(3, 4, 9, 14)
  }
  const out = new Uint8Array(32)
  const dout = new DataView(out.buffer)
  ;[0, 1, 2, 3, 12, 13, 14, 15].forEach((j, i) => dout.setUint32(4 * i, s[j], true))
  return out
}

function nodeSeal(cipher, key, nonce, pt, aad) {
  let k = key, n = nonce, name = cipher
  if (cipher === 'xchacha20-poly1305') {
    k = hchacha20(key, nonce.subarray(0, 16))
    n = concat(new Uint8Array(4), nonce.subarray(16))
    name = 'chacha20-poly1305'
  }
  const c = nodeCrypto.createCipheriv(name, k, n, { authTagLength: 16 })
  c.setAAD(aad)
  return node(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]))
}

describe('AEAD vs node:crypto', () => {
  it('HChaCha20 reference matches draft-irtf-cfrg-xchacha §2.2.1', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i)
    const nonce = unhex('000000090000004a0000000031415927')
    assert.equal(hex(hchacha20(key, nonce)), '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc')
  })
  const aeads = [
    ['aes128gcm', 'aes-128-gcm', 16, 12],
    ['aes256gcm', 'aes-256-gcm', 32, 12],
    ['chacha20poly1305', 'chacha20-poly1305', 32, 12],
    ['xchacha20poly1305', 'xchacha20-poly1305', 32, 24],
  ]
  for (const [name, cipher, kl, nl] of aeads) {
    it(`${name}: 250 random seal/open/tamper`, () => {
      const rng = rngFor(name)
      const aead = crypto[name]
      assert.equal(aead.keyLength, kl)
      assert.equal(aead.nonceLength, nl)
      assert.equal(aead.tagLength, 16)
      for (let i = 0; i < 250; i++) {
        const key = rng.bytes(kl), nonce = rng.bytes(nl)
        const pt = rng.bytes(rng.pick([0, 1, 15, 16, 17, 63, 64, 65, rng.int(0, 2000)]))
        const aadArg = rng.pick([undefined, new Uint8Array(0), rng.bytes(rng.int(1, 100))])
        const aad = aadArg ?? new Uint8Array(0)
        const want = nodeSeal(cipher, key, nonce, pt, aad)
        const sealed = crypto[name].seal(view(rng, key), view(rng, nonce), view(rng, pt), aadArg && view(rng, aadArg))
        assertBytes(sealed, want, `${name} seal ${i} pt ${pt.length} aad ${aad.length}`)
        assertBytes(aead.open(key, nonce, view(rng, want), aadArg), pt, `${name} open ${i}`)
        // tamper: one bit of ciphertext or tag, or the aad
        const bad = new Uint8Array(want)
        bad[rng.int(0, bad.length - 1)] ^= 1 << rng.int(0, 7)
        throwsCode(() => aead.open(key, nonce, bad, aadArg), 'ERR_GHOSTKIT_CRYPTO_AUTH', crypto.CryptoError, `${name} tamper ${i}`)
        throwsCode(() => aead.open(key, nonce, want, concat(aad, Uint8Array.of(0))), 'ERR_GHOSTKIT_CRYPTO_AUTH', crypto.CryptoError, `${name} aad tamper ${i}`)
      }
    })
  }
})

// ---------------------------------------------------------------------------------------------
const ED_PKCS8 = unhex('302e020100300506032b657004220420')
const X_PKCS8 = unhex('302e020100300506032b656e04220420')
const X_SPKI = unhex('302a300506032b656e032100')
const ED_SPKI = unhex('302a300506032b6570032100')

describe('ed25519 / x25519 vs node:crypto and @noble', () => {
  it('ed25519: 200 random seeds: getPublicKey, sign (RFC 8032), verify', () => {
    const rng = rngFor('ed25519')
    for (let i = 0; i < 200; i++) {
      const seed = rng.bytes(32)
      const msg = rng.bytes(rng.pick([0, 1, 32, 64, rng.int(0, 1000)]))
      const priv = nodeCrypto.createPrivateKey({ key: Buffer.from(concat(ED_PKCS8, seed)), format: 'der', type: 'pkcs8' })
      const pubDer = nodeCrypto.createPublicKey(priv).export({ format: 'der', type: 'spki' })
      const pub = node(pubDer.subarray(12))
      assert.equal(hex(pub), hex(nobleEd.getPublicKey(seed)), 'reference self-check')
      assertBytes(crypto.ed25519.getPublicKey(view(rng, seed)), pub, `ed25519 getPublicKey ${i}`)
      const kp = crypto.ed25519.keygen(seed)
      assertBytes(kp.secretKey, seed, `ed25519 keygen(seed).secretKey ${i}`)
      assertBytes(kp.publicKey, pub, `ed25519 keygen(seed).publicKey ${i}`)
      const want = node(nodeCrypto.sign(null, msg, priv))
      const sig = crypto.ed25519.sign(view(rng, msg), view(rng, seed))
      assertBytes(sig, want, `ed25519 sign ${i} msg ${msg.length}`)
      assertBytes(sig, nobleEd.sign(msg, seed), `ed25519 sign vs noble ${i}`)
      assert.equal(crypto.ed25519.verify(want, msg, pub), true, `ed25519 verify ${i}`)
      const pubKeyObj = nodeCrypto.createPublicKey({ key: Buffer.from(concat(ED_SPKI, pub)), format: 'der', type: 'spki' })
      assert.equal(nodeCrypto.verify(null, msg, pubKeyObj, sig), true, `node verifies ghostkit sig ${i}`)
      const bad = new Uint8Array(sig)
      bad[rng.int(0, 63)] ^= 1 << rng.int(0, 7)
      assert.equal(crypto.ed25519.verify(bad, msg, pub), false, `ed25519 verify tampered sig ${i}`)
      if (msg.length) {
        const badMsg = new Uint8Array(msg)
        badMsg[rng.int(0, msg.length - 1)] ^= 1
        assert.equal(crypto.ed25519.verify(sig, badMsg, pub), false, `ed25519 verify tampered msg ${i}`)
      }
    }
  })
  it('x25519: 200 random: getPublicKey and getSharedSecret vs node diffieHellman', () => {
    const rng = rngFor('x25519')
    for (let i = 0; i < 200; i++) {
      const sk = rng.bytes(32), peerSk = rng.bytes(32)
      const priv = nodeCrypto.createPrivateKey({ key: Buffer.from(concat(X_PKCS8, sk)), format: 'der', type: 'pkcs8' })
      const pub = node(nodeCrypto.createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(12))
      assertBytes(crypto.x25519.getPublicKey(view(rng, sk)), pub, `x25519 getPublicKey ${i}`)
      const kp = crypto.x25519.keygen(sk)
      assertBytes(kp.publicKey, pub, `x25519 keygen(seed).publicKey ${i}`)
      // Peer: a real public key half the time, arbitrary 32 bytes (any u-coordinate) otherwise.
      const peerPub = rng.bool() ? nobleX.getPublicKey(peerSk) : rng.bytes(32)
      const peerObj = nodeCrypto.createPublicKey({ key: Buffer.from(concat(X_SPKI, peerPub)), format: 'der', type: 'spki' })
      const want = node(nodeCrypto.diffieHellman({ privateKey: priv, publicKey: peerObj }))
      assertBytes(crypto.x25519.getSharedSecret(sk, view(rng, peerPub)), want, `x25519 shared ${i}`)
      assertBytes(want, nobleX.getSharedSecret(sk, peerPub), 'reference self-check')
    }
  })
})

// ---------------------------------------------------------------------------------------------
function randomSecpKey(rng) {
  for (;;) {
    const sk = rng.bytes(32)
    if (nobleSecp.utils.isValidSecretKey(sk)) return sk
  }
}
/** noble 'recovered' is v‖r‖s; ghostkit's is r‖s‖v. */
const nobleRecToGhost = (rec) => concat(rec.subarray(1), rec.subarray(0, 1))

describe('secp256k1 vs @noble/curves and libsecp256k1', () => {
  it('getPublicKey (both forms), sign (compact/recovered/der, extraEntropy), recover, verify, ECDH: 100 keys vs noble', () => {
    const rng = rngFor('secp noble')
    for (let i = 0; i < 100; i++) {
      const sk = randomSecpKey(rng)
      const digest = rng.bytes(32)
      const pubC = nobleSecp.getPublicKey(sk, true), pubU = nobleSecp.getPublicKey(sk, false)
      assertBytes(crypto.secp256k1.getPublicKey(view(rng, sk)), pubC, `getPublicKey compressed ${i}`)
      assertBytes(crypto.secp256k1.getPublicKey(sk, true), pubC, `getPublicKey(true) ${i}`)
      assertBytes(crypto.secp256k1.getPublicKey(sk, false), pubU, `getPublicKey(false) ${i}`)
      assertBytes(crypto.secp256k1.convertPublicKey(pubU), pubC, `convertPublicKey -> compressed ${i}`)
      assertBytes(crypto.secp256k1.convertPublicKey(pubC, false), pubU, `convertPublicKey -> uncompressed ${i}`)

      const nobleRec = nobleSecp.sign(digest, sk, { prehash: false, format: 'recovered' })
      const compact = crypto.secp256k1.sign(view(rng, digest), view(rng, sk))
      assertBytes(compact, nobleRec.subarray(1), `sign compact ${i}`)
      assertBytes(crypto.secp256k1.sign(digest, sk, { format: 'compact' }), compact, `sign format compact ${i}`)
      const rec = crypto.secp256k1.sign(digest, sk, { format: 'recovered' })
      assertBytes(rec, nobleRecToGhost(nobleRec), `sign recovered ${i}`)
      const der = crypto.secp256k1.sign(digest, sk, { format: 'der' })
      assertBytes(der, nobleSecp.Signature.fromBytes(compact, 'compact').toBytes('der'), `sign der ${i}`)
      assertBytes(crypto.secp256k1.signatureToDER(compact), der, `signatureToDER ${i}`)
      assertBytes(crypto.secp256k1.signatureFromDER(der), compact, `signatureFromDER ${i}`)

      const ee = rng.bytes(32)
      const nobleEe = nobleSecp.sign(digest, sk, { prehash: false, extraEntropy: ee })
      const ghostEe = crypto.secp256k1.sign(digest, sk, { extraEntropy: view(rng, ee) })
      assertBytes(ghostEe, nobleEe, `sign extraEntropy ${i}`)
      assert.notEqual(hex(ghostEe), hex(compact), `extraEntropy changes the signature ${i}`)
      const rnd = crypto.secp256k1.sign(digest, sk, { extraEntropy: true })
      assert.equal(nobleSecp.verify(rnd, digest, pubC, { prehash: false }), true, `extraEntropy:true signature verifies ${i}`)

      // verify: ghostkit and noble signatures, both public key forms, default and explicit formats
      assert.equal(crypto.secp256k1.verify(compact, digest, pubC), true, `verify compact ${i}`)
      assert.equal(crypto.secp256k1.verify(compact, digest, pubU), true, `verify compact (uncompressed pk) ${i}`)
      assert.equal(crypto.secp256k1.verify(rec, digest, pubC), true, `verify recovered (65 bytes) ${i}`)
      assert.equal(crypto.secp256k1.verify(der, digest, pubC, { format: 'der' }), true, `verify der ${i}`)
      assert.equal(crypto.secp256k1.verify(ghostEe, digest, pubC), true, `verify extraEntropy sig ${i}`)
      const otherDigest = new Uint8Array(digest)
      otherDigest[rng.int(0, 31)] ^= 1 << rng.int(0, 7)
      assert.equal(crypto.secp256k1.verify(compact, otherDigest, pubC), false, `verify wrong digest ${i}`)
      // high-S twin: rejected by default, accepted with lowS:false
      const sig = nobleSecp.Signature.fromBytes(compact, 'compact')
      const highS = new nobleSecp.Signature(sig.r, nobleSecp.Point.Fn.ORDER - sig.s).toBytes('compact')
      assert.equal(crypto.secp256k1.verify(highS, digest, pubC), false, `verify high-S default ${i}`)
      assert.equal(crypto.secp256k1.verify(highS, digest, pubC, { lowS: false }), true, `verify high-S lowS:false ${i}`)

      // recover (v in 0..3 and 27..30)
      const recBytes = nobleSecp.recoverPublicKey(nobleRec, digest, { prehash: false })
      assertBytes(recBytes, pubC, 'reference self-check')
      assertBytes(crypto.secp256k1.recoverPublicKey(rec, digest), pubC, `recoverPublicKey ${i}`)
      assertBytes(crypto.secp256k1.recoverPublicKey(rec, digest, false), pubU, `recoverPublicKey uncompressed ${i}`)
      const rec27 = new Uint8Array(rec)
      rec27[64] += 27
      assertBytes(crypto.secp256k1.recoverPublicKey(rec27, digest), pubC, `recoverPublicKey v+27 ${i}`)

      // ECDH
      const peer = randomSecpKey(rng)
      const peerPub = nobleSecp.getPublicKey(peer, rng.bool())
      assertBytes(crypto.secp256k1.getSharedSecret(sk, view(rng, peerPub)), nobleSecp.getSharedSecret(sk, peerPub, true), `ECDH compressed ${i}`)
      assertBytes(crypto.secp256k1.getSharedSecret(sk, peerPub, false), nobleSecp.getSharedSecret(sk, peerPub, false), `ECDH uncompressed ${i}`)
      assert.equal(crypto.secp256k1.isValidSecretKey(sk), true)
      assert.equal(crypto.secp256k1.isValidPublicKey(peerPub), true)
    }
  })

  it('sign/verify/recover/ecdh vs libsecp256k1: 200 keys, with and without extra entropy', () => {
    const rng = rngFor('secp libsecp')
    for (let i = 0; i < 200; i++) {
      const sk = randomSecpKey(rng)
      const digest = rng.bytes(32)
      const ee = rng.bytes(32)
      const a = libsecp.ecdsaSign(digest, sk)
      const rec = crypto.secp256k1.sign(digest, sk, { format: 'recovered' })
      assertBytes(rec.subarray(0, 64), a.signature, `sign vs libsecp256k1 ${i}`)
      assert.equal(rec[64], a.recid, `recovery id vs libsecp256k1 ${i}`)
      const b = libsecp.ecdsaSign(digest, sk, { data: ee })
      assertBytes(crypto.secp256k1.sign(digest, sk, { extraEntropy: ee }), b.signature, `sign extraEntropy vs libsecp256k1 ${i}`)
      const pubC = node(libsecp.publicKeyCreate(sk, true))
      const pubU = node(libsecp.publicKeyCreate(sk, false))
      assert.equal(libsecp.ecdsaVerify(crypto.secp256k1.sign(digest, sk), digest, pubC), true, `libsecp256k1 verifies ghostkit sig ${i}`)
      assertBytes(crypto.secp256k1.recoverPublicKey(rec, digest, false), libsecp.ecdsaRecover(a.signature, a.recid, digest, false), `recover vs libsecp256k1 ${i}`)
      assert.equal(crypto.secp256k1.verify(b.signature, digest, pubU), true, `verify libsecp256k1 sig ${i}`)
      const peer = randomSecpKey(rng)
      const peerPub = node(libsecp.publicKeyCreate(peer, true))
      const x = libsecp.ecdh(peerPub, sk, { hashfn: (xb) => new Uint8Array(xb) }, new Uint8Array(32))
      assertBytes(crypto.secp256k1.getSharedSecret(sk, peerPub).subarray(1), x, `ECDH x vs libsecp256k1 ${i}`)
    }
  })
})

// ---------------------------------------------------------------------------------------------
describe('keccak_256 / blake3 / argon2id vs @noble/hashes', () => {
  it('keccak_256: 300 one-shot + 60 streaming', () => {
    const rng = rngFor('keccak')
    assert.equal(crypto.keccak_256.outputLen, 32)
    assert.equal(crypto.keccak_256.blockLen, 136)
    for (let i = 0; i < 300; i++) {
      const data = rng.bytes(rng.pick([0, 135, 136, 137, rng.int(0, 4096)]))
      assertBytes(crypto.keccak_256(view(rng, data)), nobleKeccak(data), `keccak_256 len ${data.length}`)
    }
    for (let i = 0; i < 60; i++) {
      const data = rng.bytes(rng.int(0, 3000))
      const h = crypto.keccak_256.create()
      for (const c of randomChunks(rng, data)) h.update(c)
      const c = h.clone()
      assertBytes(h.digest(), nobleKeccak(data), `keccak_256 stream len ${data.length}`)
      c.update(Uint8Array.of(1))
      assertBytes(c.digest(), nobleKeccak(concat(data, Uint8Array.of(1))), `keccak_256 clone len ${data.length}`)
    }
  })

  it('blake3: plain, keyed, derive-key (string and bytes context), dkLen 1..300, streaming: 400', () => {
    const rng = rngFor('blake3')
    assert.equal(crypto.blake3.outputLen, 32)
    assert.equal(crypto.blake3.blockLen, 64)
    const contexts = ['', 'ghostkit 2024-01-01 session key', 'BLAKE3 2019-12-27 16:29:52 test vectors context', 'ünïcödé ✓ 鍵']
    for (let i = 0; i < 400; i++) {
      const data = rng.bytes(rng.pick([0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049, rng.int(0, 5000)]))
      const mode = i % 4
      const dkLen = rng.pick([undefined, 1, 31, 32, 33, 64, 65, rng.int(1, 300)])
      const opts = {}
      const nobleOpts = {}
      if (dkLen !== undefined) { opts.dkLen = dkLen; nobleOpts.dkLen = dkLen }
      if (mode === 1) { opts.key = rng.bytes(32); nobleOpts.key = opts.key }
      if (mode === 2) { opts.context = rng.pick(contexts); nobleOpts.context = utf8(opts.context) }
      if (mode === 3) { opts.context = rng.bytes(rng.int(0, 100)); nobleOpts.context = opts.context }
      const want = nobleBlake3(data, nobleOpts)
      const label = `blake3 mode ${['plain', 'keyed', 'ctx-string', 'ctx-bytes'][mode]} len ${data.length} dkLen ${dkLen}`
      const useOpts = mode === 0 && dkLen === undefined && rng.bool() ? undefined : opts
      assertBytes(crypto.blake3(view(rng, data), useOpts), want, label)
      if (i % 3 === 0) {
        const h = crypto.blake3.create(useOpts)
        for (const c of randomChunks(rng, data)) h.update(c)
        const c = h.clone()
        assertBytes(h.digest(), want, label + ' (streaming)')
        assertBytes(c.digest(), want, label + ' (clone)')
      }
    }
  })

  it('argon2id: 8 tiny parameter sets vs noble; argon2id (async) equals argon2idSync', async () => {
    const rng = rngFor('argon2id')
    for (let i = 0; i < 8; i++) {
      const p = rng.int(1, 3)
      const m = rng.int(8 * p, 64)
      const t = rng.int(1, 3)
      const dkLen = rng.pick([undefined, 4, 16, 32, 64, 65, 100])
      const pw = rng.bytes(rng.int(0, 40)), salt = rng.bytes(rng.int(8, 32))
      const opts = { t, m, p }
      if (dkLen !== undefined) opts.dkLen = dkLen
      const want = nobleArgon2id(pw, salt, { t, m, p, dkLen: dkLen ?? 32 })
      const label = `argon2id t ${t} m ${m} p ${p} dkLen ${dkLen} pw ${pw.length} salt ${salt.length}`
      assertBytes(crypto.argon2idSync(view(rng, pw), view(rng, salt), opts), want, label)
      assertBytes(await crypto.argon2id(pw, salt, opts), want, label + ' (async)')
    }
    // p omitted = 1
    const pw = rng.bytes(10), salt = rng.bytes(16)
    assertBytes(crypto.argon2idSync(pw, salt, { t: 2, m: 16 }), nobleArgon2id(pw, salt, { t: 2, m: 16, p: 1, dkLen: 32 }), 'argon2id defaults p=1 dkLen=32')
  })
})
