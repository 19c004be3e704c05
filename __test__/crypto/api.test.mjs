// The error and lifecycle contract of ghostkit/crypto (lib/crypto.d.ts).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import {
  loadCrypto, hex, unhex, concat, utf8, assertBytes, throwsCode, rejectsCode, checkCpuLevel,
  SECP256K1_N, bigToBytes32,
} from './_helpers.mjs'

const crypto = loadCrypto()
const { CryptoError, SecretKey, ed25519, x25519, secp256k1, eth } = crypto

const TYPE = 'ERR_GHOSTKIT_INVALID_ARG_TYPE'
const VALUE = 'ERR_GHOSTKIT_INVALID_ARG_VALUE'
const LENGTH = 'ERR_GHOSTKIT_CRYPTO_LENGTH'
const PARAMS = 'ERR_GHOSTKIT_CRYPTO_PARAMS'
const INVALID_KEY = 'ERR_GHOSTKIT_CRYPTO_INVALID_KEY'
const INVALID_SIGNATURE = 'ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE'
const AUTH = 'ERR_GHOSTKIT_CRYPTO_AUTH'
const WEAK_KEY = 'ERR_GHOSTKIT_CRYPTO_WEAK_KEY'
const DISPOSED = 'ERR_GHOSTKIT_CRYPTO_DISPOSED'

const b = (n, fill = 1) => new Uint8Array(n).fill(fill)
const SK = Uint8Array.from({ length: 32 }, (_, i) => i + 1) // valid for all three algorithms
const SK2 = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)
const DIGEST = b(32, 7)
const MSG = utf8('ghostkit api test')
const ED_PK = ed25519.getPublicKey(SK)
const X_PK = x25519.getPublicKey(SK2)
const SECP_PK = secp256k1.getPublicKey(SK)
const SECP_PK_U = secp256k1.getPublicKey(SK, false)
const SECP_SIG = secp256k1.sign(DIGEST, SK)
const SECP_REC = secp256k1.sign(DIGEST, SK, { format: 'recovered' })
const ED_SIG = ed25519.sign(MSG, SK)

/** The d.ts's wrong types for a bytes argument. */
const WRONG_TYPES = [['string', 'abc'], ['number', 123], ['null', null], ['plain array', [1, 2, 3]]]

describe('module', () => {
  it('cpuLevel / availableCpuLevels', (t) => {
    checkCpuLevel(t, crypto)
    assert.ok(Array.isArray(crypto.availableCpuLevels), 'availableCpuLevels is an array')
    assert.ok(crypto.availableCpuLevels.includes(crypto.cpuLevel), `availableCpuLevels ${JSON.stringify(crypto.availableCpuLevels)} includes ${crypto.cpuLevel}`)
    assert.ok(crypto.availableCpuLevels.includes('baseline'), 'baseline is always available')
    for (const l of crypto.availableCpuLevels) assert.ok(['baseline', 'x86_64_v3', 'x86_64_v4'].includes(l), `unknown level ${l}`)
  })

  it('every available level can be forced with GHOSTKIT_CPU_LEVEL and gives identical outputs', () => {
    const lib = fileURLToPath(new URL('../../lib/crypto.js', import.meta.url))
    const script = `
      const c = require(${JSON.stringify(lib)})
      const k = new Uint8Array(32).fill(3), n = new Uint8Array(12).fill(4), x = new Uint8Array(24).fill(5)
      const m = new Uint8Array(1000).map((_, i) => i * 7)
      const h = (u) => Buffer.from(u).toString('hex')
      console.log(JSON.stringify({ level: c.cpuLevel, out: [
        h(c.sha256(m)), h(c.sha512(m)), h(c.sha3_256(m)), h(c.keccak_256(m)), h(c.blake3(m, { dkLen: 100 })),
        h(c.aes128gcm.seal(k.subarray(0, 16), n, m)), h(c.aes256gcm.seal(k, n, m)), h(c.chacha20poly1305.seal(k, n, m)),
        h(c.xchacha20poly1305.seal(k, x, m)), h(c.hmac('sha512', k, m)), h(c.pbkdf2Sync('sha256', k, n, { c: 10, dkLen: 40 })),
        h(c.argon2idSync(k, n, { t: 1, m: 16 })), h(c.ed25519.sign(m, k)), h(c.x25519.getSharedSecret(k, c.x25519.getPublicKey(new Uint8Array(32).fill(9)))),
        h(c.secp256k1.sign(k, k)), h(c.secp256k1.getSharedSecret(k, c.secp256k1.getPublicKey(new Uint8Array(32).fill(9)))),
      ] }))`
    const results = crypto.availableCpuLevels.map((level) => {
      const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, GHOSTKIT_CPU_LEVEL: level }, encoding: 'utf8' })
      const r = JSON.parse(out.trim().split('\n').pop())
      assert.equal(r.level, level, `GHOSTKIT_CPU_LEVEL=${level} must run ${level}, the module reports ${r.level}`)
      return r
    })
    for (const r of results.slice(1)) assert.deepEqual(r.out, results[0].out, `outputs at ${r.level} differ from ${results[0].level}`)
    // And they are right (one spot check against node:crypto).
    const m = new Uint8Array(1000).map((_, i) => i * 7)
    assert.equal(results[0].out[0], createHash('sha256').update(m).digest('hex'))
  })
})

// ---------------------------------------------------------------------------------------------
describe('argument types: TypeError ERR_GHOSTKIT_INVALID_ARG_TYPE', () => {
  const aead = (name) => crypto[name]
  const KEYS = { aes128gcm: 16, aes256gcm: 32, chacha20poly1305: 32, xchacha20poly1305: 32 }
  const NONCES = { aes128gcm: 12, aes256gcm: 12, chacha20poly1305: 12, xchacha20poly1305: 24 }
  /** [label, call(bad), { allowString, allowNull }] — one bytes argument replaced by `bad`. */
  const cases = [
    ...['sha256', 'sha512', 'sha3_256', 'sha3_512', 'keccak_256', 'blake3'].flatMap((h) => [
      [`${h}(x)`, (x) => crypto[h](x)],
      [`${h}.create().update(x)`, (x) => crypto[h].create().update(x)],
    ]),
    ['blake3(m, { key: x })', (x) => crypto.blake3(MSG, { key: x }), { allowNull: true }],
    ['blake3(m, { context: x })', (x) => crypto.blake3(MSG, { context: x }), { allowString: true, allowNull: true }],
    ['hmac(h, x, m)', (x) => crypto.hmac('sha256', x, MSG)],
    ['hmac(h, k, x)', (x) => crypto.hmac('sha256', SK, x)],
    ['hkdf(h, x, ...)', (x) => crypto.hkdf('sha256', x, undefined, undefined, 32)],
    ['hkdf(h, ikm, x, ...)', (x) => crypto.hkdf('sha256', SK, x, undefined, 32), { allowNull: true }],
    ['hkdf(h, ikm, salt, x, ...)', (x) => crypto.hkdf('sha256', SK, undefined, x, 32), { allowNull: true }],
    ['pbkdf2Sync(h, x, salt, o)', (x) => crypto.pbkdf2Sync('sha256', x, SK, { c: 1, dkLen: 32 })],
    ['pbkdf2Sync(h, pw, x, o)', (x) => crypto.pbkdf2Sync('sha256', SK, x, { c: 1, dkLen: 32 })],
    ['argon2idSync(x, salt, o)', (x) => crypto.argon2idSync(x, SK, { t: 1, m: 8 })],
    ['argon2idSync(pw, x, o)', (x) => crypto.argon2idSync(SK, x, { t: 1, m: 8 })],
    ...Object.keys(KEYS).flatMap((a) => {
      const k = b(KEYS[a]), n = b(NONCES[a])
      const sealed = aead(a).seal(k, n, MSG)
      return [
        [`${a}.seal(x, n, pt)`, (x) => aead(a).seal(x, n, MSG)],
        [`${a}.seal(k, x, pt)`, (x) => aead(a).seal(k, x, MSG)],
        [`${a}.seal(k, n, x)`, (x) => aead(a).seal(k, n, x)],
        [`${a}.seal(k, n, pt, x)`, (x) => aead(a).seal(k, n, MSG, x), { allowNull: true }],
        [`${a}.open(x, n, sealed)`, (x) => aead(a).open(x, n, sealed)],
        [`${a}.open(k, x, sealed)`, (x) => aead(a).open(k, x, sealed)],
        [`${a}.open(k, n, x)`, (x) => aead(a).open(k, n, x)],
        [`${a}.open(k, n, sealed, x)`, (x) => aead(a).open(k, n, sealed, x), { allowNull: true }],
      ]
    }),
    ['ed25519.keygen(x)', (x) => ed25519.keygen(x), { allowNull: true }],
    ['ed25519.getPublicKey(x)', (x) => ed25519.getPublicKey(x)],
    ['ed25519.sign(x, sk)', (x) => ed25519.sign(x, SK)],
    ['ed25519.sign(m, x)', (x) => ed25519.sign(MSG, x)],
    ['ed25519.verify(x, m, pk)', (x) => ed25519.verify(x, MSG, ED_PK)],
    ['ed25519.verify(sig, x, pk)', (x) => ed25519.verify(ED_SIG, x, ED_PK)],
    ['ed25519.verify(sig, m, x)', (x) => ed25519.verify(ED_SIG, MSG, x)],
    ['x25519.keygen(x)', (x) => x25519.keygen(x), { allowNull: true }],
    ['x25519.getPublicKey(x)', (x) => x25519.getPublicKey(x)],
    ['x25519.getSharedSecret(x, pk)', (x) => x25519.getSharedSecret(x, X_PK)],
    ['x25519.getSharedSecret(sk, x)', (x) => x25519.getSharedSecret(SK, x)],
    ['secp256k1.keygen(x)', (x) => secp256k1.keygen(x), { allowNull: true }],
    ['secp256k1.getPublicKey(x)', (x) => secp256k1.getPublicKey(x)],
    ['secp256k1.getPublicKey(sk, x: compressed)', (x) => secp256k1.getPublicKey(SK, x), { allowNull: true }],
    ['secp256k1.sign(x, sk)', (x) => secp256k1.sign(x, SK)],
    ['secp256k1.sign(d, x)', (x) => secp256k1.sign(DIGEST, x)],
    ['secp256k1.sign(d, sk, { extraEntropy: x })', (x) => secp256k1.sign(DIGEST, SK, { extraEntropy: x }), { allowNull: true }],
    ['secp256k1.verify(x, d, pk)', (x) => secp256k1.verify(x, DIGEST, SECP_PK)],
    ['secp256k1.verify(sig, x, pk)', (x) => secp256k1.verify(SECP_SIG, x, SECP_PK)],
    ['secp256k1.verify(sig, d, x)', (x) => secp256k1.verify(SECP_SIG, DIGEST, x)],
    ['secp256k1.recoverPublicKey(x, d)', (x) => secp256k1.recoverPublicKey(x, DIGEST)],
    ['secp256k1.recoverPublicKey(sig, x)', (x) => secp256k1.recoverPublicKey(SECP_REC, x)],
    ['secp256k1.getSharedSecret(x, pk)', (x) => secp256k1.getSharedSecret(x, SECP_PK)],
    ['secp256k1.getSharedSecret(sk, x)', (x) => secp256k1.getSharedSecret(SK, x)],
    ['secp256k1.convertPublicKey(x)', (x) => secp256k1.convertPublicKey(x)],
    ['secp256k1.isValidSecretKey(x)', (x) => secp256k1.isValidSecretKey(x)],
    ['secp256k1.isValidPublicKey(x)', (x) => secp256k1.isValidPublicKey(x)],
    ['secp256k1.signatureToDER(x)', (x) => secp256k1.signatureToDER(x)],
    ['secp256k1.signatureFromDER(x)', (x) => secp256k1.signatureFromDER(x)],
    ['eth.address(x)', (x) => eth.address(x)],
    ['eth.hashMessage(x)', (x) => eth.hashMessage(x), { allowString: true }],
    ['eth.signMessage(x, sk)', (x) => eth.signMessage(x, SK), { allowString: true }],
    ['eth.signMessage(m, x)', (x) => eth.signMessage(MSG, x)],
    ['eth.recoverAddress(x, sig)', (x) => eth.recoverAddress(x, SECP_REC), { allowString: true }],
    ['eth.recoverAddress(m, x)', (x) => eth.recoverAddress(MSG, x)],
    ['timingSafeEqual(x, b)', (x) => crypto.timingSafeEqual(x, b(3))],
    ['timingSafeEqual(a, x)', (x) => crypto.timingSafeEqual(b(3), x)],
    ['SecretKey.from(alg, x)', (x) => SecretKey.from('ed25519', x)],
  ]
  for (const [label, call, opts = {}] of cases) {
    it(label, () => {
      for (const [kind, bad] of WRONG_TYPES) {
        if (kind === 'string' && opts.allowString) continue
        if (kind === 'null' && opts.allowNull) continue
        throwsCode(() => call(bad), TYPE, TypeError, `${label} with ${kind}:`)
      }
    })
  }
  it('non-Uint8Array binary (ArrayBuffer, Uint16Array, DataView) is a wrong type', () => {
    for (const bad of [new ArrayBuffer(32), new Uint16Array(16), new DataView(new ArrayBuffer(32))]) {
      throwsCode(() => crypto.sha256(bad), TYPE, TypeError, `sha256(${bad.constructor.name})`)
      throwsCode(() => ed25519.sign(MSG, bad), TYPE, TypeError, `ed25519.sign(m, ${bad.constructor.name})`)
      throwsCode(() => crypto.aes256gcm.seal(bad, b(12), MSG), TYPE, TypeError, `aes256gcm.seal(${bad.constructor.name}, ...)`)
    }
  })
  it('non-bytes scalars and options', () => {
    for (const bad of [undefined, 123, null, ['sha256']]) throwsCode(() => crypto.hmac(bad, SK, MSG), TYPE, TypeError, `hmac hash ${bad}`)
    for (const bad of ['32', null, [32]]) throwsCode(() => crypto.hkdf('sha256', SK, undefined, undefined, bad), TYPE, TypeError, `hkdf length ${JSON.stringify(bad)}`)
    for (const bad of ['32', null, [32]]) throwsCode(() => crypto.randomBytes(bad), TYPE, TypeError, `randomBytes(${JSON.stringify(bad)})`)
    for (const bad of [null, 123, 'x']) throwsCode(() => crypto.pbkdf2Sync('sha256', SK, SK, bad), TYPE, TypeError, `pbkdf2Sync options ${JSON.stringify(bad)}`)
    throwsCode(() => crypto.pbkdf2Sync('sha256', SK, SK, { c: '1', dkLen: 32 }), TYPE, TypeError, 'pbkdf2Sync c as string')
    throwsCode(() => crypto.argon2idSync(SK, SK, { t: '1', m: 8 }), TYPE, TypeError, 'argon2idSync t as string')
    for (const bad of [123, null, ['ed25519']]) throwsCode(() => SecretKey.from(bad, SK), TYPE, TypeError, `SecretKey.from(${JSON.stringify(bad)}, ...)`)
    throwsCode(() => secp256k1.sign(DIGEST, SK, { extraEntropy: 'yes' }), TYPE, TypeError, 'extraEntropy as string')
    throwsCode(() => secp256k1.sign(DIGEST, SK, { extraEntropy: 1 }), TYPE, TypeError, 'extraEntropy as number')
    throwsCode(() => crypto.blake3(MSG, { dkLen: '32' }), TYPE, TypeError, 'blake3 dkLen as string')
  })
})

// ---------------------------------------------------------------------------------------------
describe('option values: RangeError ERR_GHOSTKIT_INVALID_ARG_VALUE', () => {
  it('unknown hash names, algorithms and formats', () => {
    for (const h of ['md5', 'SHA256', 'sha-256', 'sha3_256', '']) {
      throwsCode(() => crypto.hmac(h, SK, MSG), VALUE, RangeError, `hmac('${h}')`)
      throwsCode(() => crypto.hkdf(h, SK, undefined, undefined, 32), VALUE, RangeError, `hkdf('${h}')`)
      throwsCode(() => crypto.pbkdf2Sync(h, SK, SK, { c: 1, dkLen: 32 }), VALUE, RangeError, `pbkdf2Sync('${h}')`)
    }
    for (const a of ['rsa', 'Ed25519', 'p256', '']) {
      throwsCode(() => SecretKey.from(a, SK), VALUE, RangeError, `SecretKey.from('${a}')`)
      throwsCode(() => SecretKey.generate(a), VALUE, RangeError, `SecretKey.generate('${a}')`)
    }
    throwsCode(() => secp256k1.sign(DIGEST, SK, { format: 'p1363' }), VALUE, RangeError, "sign format 'p1363'")
  })
})

// ---------------------------------------------------------------------------------------------
describe('byte lengths: RangeError ERR_GHOSTKIT_CRYPTO_LENGTH', () => {
  const cases = [
    ['ed25519.keygen(31-byte seed)', () => ed25519.keygen(b(31))],
    ['ed25519.getPublicKey(31)', () => ed25519.getPublicKey(b(31))],
    ['ed25519.getPublicKey(33)', () => ed25519.getPublicKey(b(33))],
    ['ed25519.sign(m, 31-byte key)', () => ed25519.sign(MSG, b(31))],
    ['ed25519.sign(m, 64-byte key)', () => ed25519.sign(MSG, b(64))],
    // Documented choice: a wrong-length *public key* is a length error; a wrong-length signature is false.
    ['ed25519.verify(sig, m, 31-byte pk)', () => ed25519.verify(ED_SIG, MSG, b(31))],
    ['ed25519.verify(sig, m, 33-byte pk)', () => ed25519.verify(ED_SIG, MSG, b(33))],
    ['x25519.keygen(31-byte seed)', () => x25519.keygen(b(31))],
    ['x25519.getPublicKey(31)', () => x25519.getPublicKey(b(31))],
    ['x25519.getSharedSecret(31, pk)', () => x25519.getSharedSecret(b(31), X_PK)],
    ['x25519.getSharedSecret(sk, 31)', () => x25519.getSharedSecret(SK, b(31))],
    ['x25519.getSharedSecret(sk, 33)', () => x25519.getSharedSecret(SK, b(33))],
    ['secp256k1.getPublicKey(31)', () => secp256k1.getPublicKey(b(31))],
    ['secp256k1.getPublicKey(33)', () => secp256k1.getPublicKey(b(33))],
    ['secp256k1.sign(31-byte digest, sk)', () => secp256k1.sign(b(31), SK)],
    ['secp256k1.sign(33-byte digest, sk)', () => secp256k1.sign(b(33), SK)],
    ['secp256k1.sign(d, 31-byte key)', () => secp256k1.sign(DIGEST, b(31))],
    ['secp256k1.sign(d, sk, { extraEntropy: 31 bytes })', () => secp256k1.sign(DIGEST, SK, { extraEntropy: b(31) })],
    ['secp256k1.verify(sig, 31-byte digest, pk)', () => secp256k1.verify(SECP_SIG, b(31), SECP_PK)],
    ['secp256k1.verify(sig, d, 64-byte pk)', () => secp256k1.verify(SECP_SIG, DIGEST, SECP_PK_U.subarray(1))],
    ['secp256k1.recoverPublicKey(64-byte sig, d)', () => secp256k1.recoverPublicKey(SECP_SIG, DIGEST)],
    ['secp256k1.recoverPublicKey(sig, 31-byte digest)', () => secp256k1.recoverPublicKey(SECP_REC, b(31))],
    ['secp256k1.getSharedSecret(31, pk)', () => secp256k1.getSharedSecret(b(31), SECP_PK)],
    ['secp256k1.getSharedSecret(sk, 32-byte pk)', () => secp256k1.getSharedSecret(SK, SECP_PK.subarray(1))],
    ['secp256k1.getSharedSecret(sk, 64-byte pk)', () => secp256k1.getSharedSecret(SK, SECP_PK_U.subarray(1))],
    ['secp256k1.convertPublicKey(32)', () => secp256k1.convertPublicKey(SECP_PK.subarray(1))],
    ['secp256k1.convertPublicKey(66)', () => secp256k1.convertPublicKey(concat(SECP_PK_U, b(1)))],
    ['secp256k1.signatureToDER(63)', () => secp256k1.signatureToDER(SECP_SIG.subarray(1))],
    ['secp256k1.signatureToDER(65)', () => secp256k1.signatureToDER(SECP_REC)],
    ['eth.address(64-byte pk)', () => eth.address(SECP_PK_U.subarray(1))],
    ['eth.address(32-byte pk)', () => eth.address(SECP_PK.subarray(1))],
    ['eth.signMessage(m, 31-byte key)', () => eth.signMessage(MSG, b(31))],
    ['eth.recoverAddress(m, 64-byte sig)', () => eth.recoverAddress(MSG, SECP_SIG)],
    ['blake3(m, { key: 31 bytes })', () => crypto.blake3(MSG, { key: b(31) })],
    ['blake3.create({ key: 33 bytes })', () => crypto.blake3.create({ key: b(33) })],
    ['timingSafeEqual(3, 4)', () => crypto.timingSafeEqual(b(3), b(4))],
    ['timingSafeEqual(0, 1)', () => crypto.timingSafeEqual(b(0), b(1))],
    ...['ed25519', 'secp256k1', 'x25519'].flatMap((alg) => [
      [`SecretKey.from('${alg}', 31)`, () => SecretKey.from(alg, b(31))],
      [`SecretKey.from('${alg}', 33)`, () => SecretKey.from(alg, b(33))],
      [`SecretKey.from('${alg}', 0)`, () => SecretKey.from(alg, b(0))],
    ]),
  ]
  for (const [name, kl, nl] of [['aes128gcm', 16, 12], ['aes256gcm', 32, 12], ['chacha20poly1305', 32, 12], ['xchacha20poly1305', 32, 24]]) {
    const a = crypto[name]
    const sealed = a.seal(b(kl), b(nl), MSG)
    for (const k of [kl - 1, kl + 1, 0, kl === 16 ? 32 : 16, 24]) {
      if (k === kl) continue
      cases.push([`${name}.seal(${k}-byte key)`, () => a.seal(b(k), b(nl), MSG)])
      cases.push([`${name}.open(${k}-byte key)`, () => a.open(b(k), b(nl), sealed)])
    }
    for (const n of [nl - 1, nl + 1, 0, nl === 12 ? 24 : 12, 8, 16]) {
      cases.push([`${name}.seal(${n}-byte nonce)`, () => a.seal(b(kl), b(n), MSG)])
      cases.push([`${name}.open(${n}-byte nonce)`, () => a.open(b(kl), b(n), sealed)])
    }
    for (const s of [0, 1, 15]) cases.push([`${name}.open(${s}-byte sealed)`, () => a.open(b(kl), b(nl), b(s))])
  }
  for (const [label, call] of cases) {
    it(label, () => {
      throwsCode(call, LENGTH, RangeError, `${label}:`)
    })
  }
  it('argon2id salt shorter than 8 bytes', async () => {
    // The d.ts says "salt >= 8 bytes" without naming the code: a short salt is a wrong-length
    // byte string (LENGTH) or an out-of-range KDF parameter (PARAMS); either is a clear RangeError.
    throwsCode(() => crypto.argon2idSync(SK, b(7), { t: 1, m: 8 }), [LENGTH, PARAMS], RangeError, 'argon2idSync salt 7:')
    await rejectsCode(() => crypto.argon2id(SK, b(7), { t: 1, m: 8 }), [LENGTH, PARAMS], RangeError, 'argon2id salt 7:')
  })
})

// ---------------------------------------------------------------------------------------------
describe('secp256k1 keys and points', () => {
  const invalidScalars = [
    ['0', new Uint8Array(32)],
    ['n', bigToBytes32(SECP256K1_N)],
    ['n + 1', bigToBytes32(SECP256K1_N + 1n)],
    ['2^256 - 1', b(32, 0xff)],
  ]
  for (const [name, sk] of invalidScalars) {
    it(`secret key ${name} is rejected with ERR_GHOSTKIT_CRYPTO_INVALID_KEY`, () => {
      throwsCode(() => secp256k1.getPublicKey(sk), INVALID_KEY, CryptoError, `getPublicKey(${name})`)
      throwsCode(() => secp256k1.sign(DIGEST, sk), INVALID_KEY, CryptoError, `sign(d, ${name})`)
      throwsCode(() => secp256k1.getSharedSecret(sk, SECP_PK), INVALID_KEY, CryptoError, `getSharedSecret(${name}, pk)`)
      throwsCode(() => SecretKey.from('secp256k1', sk), INVALID_KEY, CryptoError, `SecretKey.from(secp256k1, ${name})`)
      throwsCode(() => eth.signMessage(MSG, sk), INVALID_KEY, CryptoError, `eth.signMessage(m, ${name})`)
      assert.equal(secp256k1.isValidSecretKey(sk), false, `isValidSecretKey(${name})`)
    })
  }
  it('secret keys 1 and n - 1 are valid', () => {
    for (const sk of [bigToBytes32(1n), bigToBytes32(SECP256K1_N - 1n)]) {
      assert.equal(secp256k1.isValidSecretKey(sk), true)
      assert.equal(secp256k1.getPublicKey(sk).length, 33)
    }
    // G and -G
    assert.equal(hex(secp256k1.getPublicKey(bigToBytes32(1n))), '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798')
    assert.equal(hex(secp256k1.getPublicKey(bigToBytes32(SECP256K1_N - 1n))), '0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798')
  })
  it('isValidSecretKey on a wrong-length array is false or a LENGTH error, never true', () => {
    for (const n of [0, 31, 33]) {
      let r
      try { r = secp256k1.isValidSecretKey(b(n)) } catch (e) { assert.equal(e.code, LENGTH); continue }
      assert.equal(r, false, `isValidSecretKey(${n} bytes)`)
    }
  })

  const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn
  const invalidPoints = [
    ['compressed, prefix 05', concat(Uint8Array.of(5), SECP_PK.subarray(1))],
    ['compressed, prefix 00', concat(Uint8Array.of(0), SECP_PK.subarray(1))],
    ['compressed, x = 5 (no y)', concat(Uint8Array.of(2), bigToBytes32(5n))], // 5^3 + 7 = 132 is not a square mod p
    ['compressed, x = p', concat(Uint8Array.of(2), bigToBytes32(P))],
    ['compressed, all-zero x', concat(Uint8Array.of(2), new Uint8Array(32))],
    ['uncompressed, y + 1 (off the curve)', (() => { const u = new Uint8Array(SECP_PK_U); u[64] ^= 1; return u })()],
    ['uncompressed, prefix 02', concat(Uint8Array.of(2), SECP_PK_U.subarray(1))],
    ['uncompressed, all zero (point at infinity encoding)', concat(Uint8Array.of(4), new Uint8Array(64))],
    ['33 zero bytes', new Uint8Array(33)],
  ]
  for (const [name, pk] of invalidPoints) {
    it(`public key ${name}: rejected`, () => {
      throwsCode(() => secp256k1.getSharedSecret(SK, pk), INVALID_KEY, CryptoError, `getSharedSecret(sk, ${name})`)
      throwsCode(() => secp256k1.convertPublicKey(pk), INVALID_KEY, CryptoError, `convertPublicKey(${name})`)
      throwsCode(() => eth.address(pk), INVALID_KEY, CryptoError, `eth.address(${name})`)
      assert.equal(secp256k1.isValidPublicKey(pk), false, `isValidPublicKey(${name})`)
      // verify never accepts with an invalid key: false, or INVALID_KEY.
      let r
      try { r = secp256k1.verify(SECP_SIG, DIGEST, pk) } catch (e) { assert.equal(e.code, INVALID_KEY, `verify with ${name} threw ${e.code}`); return }
      assert.equal(r, false, `verify with ${name}`)
    })
  }
  it('valid public keys: isValidPublicKey, convertPublicKey round trip', () => {
    assert.equal(secp256k1.isValidPublicKey(SECP_PK), true)
    assert.equal(secp256k1.isValidPublicKey(SECP_PK_U), true)
    assertBytes(secp256k1.convertPublicKey(SECP_PK, false), SECP_PK_U)
    assertBytes(secp256k1.convertPublicKey(SECP_PK_U), SECP_PK)
    assertBytes(secp256k1.convertPublicKey(SECP_PK_U, true), SECP_PK)
  })
  it('keygen: shapes, publicKey = getPublicKey(secretKey), random each call', () => {
    for (const [alg, pkLen] of [['ed25519', 32], ['x25519', 32], ['secp256k1', 33]]) {
      const m = crypto[alg]
      const a = m.keygen(), c = m.keygen()
      assert.equal(a.secretKey.length, 32, `${alg} secretKey length`)
      assert.equal(a.publicKey.length, pkLen, `${alg} publicKey length`)
      assertBytes(a.publicKey, m.getPublicKey(a.secretKey), `${alg} keygen publicKey`)
      assert.notEqual(hex(a.secretKey), hex(c.secretKey), `${alg} keygen() twice gives different keys`)
    }
    const e1 = ed25519.keygen(SK), e2 = ed25519.keygen(SK)
    assertBytes(e1.secretKey, e2.secretKey, 'ed25519 keygen(seed) is deterministic')
    assertBytes(e1.publicKey, ED_PK)
  })
  it('recoverPublicKey: bad v and unrecoverable signatures give ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE', () => {
    for (const v of [4, 26, 31, 255]) {
      const s = new Uint8Array(SECP_REC)
      s[64] = v
      throwsCode(() => secp256k1.recoverPublicKey(s, DIGEST), INVALID_SIGNATURE, CryptoError, `v = ${v}`)
    }
    const zeroR = concat(new Uint8Array(32), SECP_REC.subarray(32))
    throwsCode(() => secp256k1.recoverPublicKey(zeroR, DIGEST), INVALID_SIGNATURE, CryptoError, 'r = 0')
    const zeroS = concat(SECP_REC.subarray(0, 32), new Uint8Array(33))
    throwsCode(() => secp256k1.recoverPublicKey(zeroS, DIGEST), INVALID_SIGNATURE, CryptoError, 's = 0')
    const bigR = concat(bigToBytes32(SECP256K1_N), SECP_REC.subarray(32))
    throwsCode(() => secp256k1.recoverPublicKey(bigR, DIGEST), INVALID_SIGNATURE, CryptoError, 'r = n')
  })
  it('signatureFromDER rejects garbage and BER with ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE', () => {
    const der = secp256k1.signatureToDER(SECP_SIG)
    const bad = [
      new Uint8Array(0), Uint8Array.of(0x30), Uint8Array.of(0x30, 0),
      concat(der, Uint8Array.of(0)), // trailing byte
      der.subarray(0, der.length - 1), // truncated
      concat(Uint8Array.of(0x31), der.subarray(1)), // SET instead of SEQUENCE
      concat(Uint8Array.of(0x30, 0x81, der[1]), der.subarray(2)), // non-minimal length
      b(70, 0x30),
    ]
    for (const d of bad) throwsCode(() => secp256k1.signatureFromDER(d), INVALID_SIGNATURE, CryptoError, `signatureFromDER(${hex(d)})`)
    assertBytes(secp256k1.signatureFromDER(der), SECP_SIG)
  })
})

// ---------------------------------------------------------------------------------------------
describe('verify returns false (never throws) for bad signatures', () => {
  it('ed25519: garbage 64-byte signatures and wrong lengths', () => {
    const garbage = [new Uint8Array(64), b(64, 0xff), ...Array.from({ length: 20 }, () => crypto.randomBytes(64))]
    for (const sig of garbage) assert.equal(ed25519.verify(sig, MSG, ED_PK), false, `ed25519.verify(${hex(sig)})`)
    for (const n of [0, 1, 63, 65, 128]) assert.equal(ed25519.verify(b(n), MSG, ED_PK), false, `ed25519.verify(${n}-byte sig)`)
    assert.equal(ed25519.verify(concat(ED_SIG, Uint8Array.of(0)), MSG, ED_PK), false, 'valid sig + trailing byte')
    assert.equal(ed25519.verify(ED_SIG, MSG, ED_PK), true, 'control: the real signature verifies')
    // s >= L (malleability): the real R with s + L
    const L = 2n ** 252n + 27742317777372353535851937790883648493n
    let s = 0n
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(ED_SIG[i])
    const s2 = s + L
    const sb = new Uint8Array(32)
    for (let i = 0, x = s2; i < 32; i++, x >>= 8n) sb[i] = Number(x & 0xffn)
    assert.equal(ed25519.verify(concat(ED_SIG.subarray(0, 32), sb), MSG, ED_PK), false, 'non-canonical s (s + L)')
  })
  it('ed25519: a public key that is not a curve point gives false or INVALID_KEY, never true', () => {
    const pk = unhex('0200000000000000000000000000000000000000000000000000000000000000') // y = 2 is not on the curve
    let r
    try { r = ed25519.verify(ED_SIG, MSG, pk) } catch (e) { assert.equal(e.code, INVALID_KEY); return }
    assert.equal(r, false)
  })
  it('secp256k1: garbage compact/recovered/DER signatures and wrong lengths', () => {
    const n = bigToBytes32(SECP256K1_N)
    const garbage = [
      new Uint8Array(64), b(64, 0xff), concat(n, bigToBytes32(1n)), concat(bigToBytes32(1n), n),
      ...Array.from({ length: 20 }, () => crypto.randomBytes(64)),
    ]
    for (const sig of garbage) {
      assert.equal(secp256k1.verify(sig, DIGEST, SECP_PK), false, `verify(${hex(sig)})`)
      assert.equal(secp256k1.verify(sig, DIGEST, SECP_PK, { lowS: false }), false, `verify(${hex(sig)}, lowS:false)`)
      assert.equal(secp256k1.verify(concat(sig, Uint8Array.of(0)), DIGEST, SECP_PK), false, `verify recovered(${hex(sig)}00)`)
    }
    for (const len of [0, 1, 63, 66, 72]) {
      assert.equal(secp256k1.verify(b(len), DIGEST, SECP_PK), false, `verify(${len}-byte sig)`)
      assert.equal(secp256k1.verify(b(len), DIGEST, SECP_PK, { format: 'compact' }), false, `verify(${len}-byte sig, compact)`)
    }
    assert.equal(secp256k1.verify(SECP_REC, DIGEST, SECP_PK, { format: 'compact' }), false, '65 bytes with format compact')
    assert.equal(secp256k1.verify(SECP_SIG, DIGEST, SECP_PK, { format: 'recovered' }), false, '64 bytes with format recovered')
    for (const d of [new Uint8Array(0), b(8, 0x30), crypto.randomBytes(70), SECP_SIG]) {
      assert.equal(secp256k1.verify(d, DIGEST, SECP_PK, { format: 'der' }), false, `verify(der ${hex(d)})`)
    }
    // 'der' is never guessed: a valid DER signature without format is not accepted.
    const der = secp256k1.signatureToDER(SECP_SIG)
    assert.equal(secp256k1.verify(der, DIGEST, SECP_PK, { format: 'der' }), true, 'control: DER with format der')
    assert.equal(secp256k1.verify(der, DIGEST, SECP_PK), false, 'DER without format')
    assert.equal(secp256k1.verify(SECP_SIG, DIGEST, SECP_PK), true, 'control: the real signature verifies')
    // sign is always low-S
    const s = BigInt('0x' + hex(SECP_SIG.subarray(32)))
    assert.ok(s <= SECP256K1_N / 2n, 'sign produces low-S')
  })
})

// ---------------------------------------------------------------------------------------------
describe('AEAD tamper: ERR_GHOSTKIT_CRYPTO_AUTH and no plaintext', () => {
  for (const [name, kl, nl] of [['aes128gcm', 16, 12], ['aes256gcm', 32, 12], ['chacha20poly1305', 32, 12], ['xchacha20poly1305', 32, 24]]) {
    it(name, () => {
      const a = crypto[name]
      const key = crypto.randomBytes(kl), nonce = crypto.randomBytes(nl), aad = utf8('header')
      for (const pt of [new Uint8Array(0), MSG, crypto.randomBytes(1000)]) {
        const sealed = a.seal(key, nonce, pt, aad)
        assert.equal(sealed.length, pt.length + 16, 'ciphertext ‖ 16-byte tag')
        assertBytes(a.open(key, nonce, sealed, aad), pt, 'control: untampered opens')
        const flip = (u, i) => { const c = new Uint8Array(u); c[i] ^= 0x01; return c }
        const tampered = [
          ['last tag byte', () => a.open(key, nonce, flip(sealed, sealed.length - 1), aad)],
          ['first tag byte', () => a.open(key, nonce, flip(sealed, pt.length), aad)],
          ['aad', () => a.open(key, nonce, sealed, utf8('headex'))],
          ['aad omitted', () => a.open(key, nonce, sealed)],
          ['nonce', () => a.open(key, flip(nonce, 0), sealed, aad)],
          ['key', () => a.open(flip(key, kl - 1), nonce, sealed, aad)],
          ['truncated by one byte', () => a.open(key, nonce, sealed.subarray(0, sealed.length - 1), aad)],
          ['extended by one byte', () => a.open(key, nonce, concat(sealed, Uint8Array.of(0)), aad)],
        ]
        if (pt.length) tampered.push(['first ciphertext byte', () => a.open(key, nonce, flip(sealed, 0), aad)])
        for (const [what, call] of tampered) {
          if (what === 'truncated by one byte' && sealed.length - 1 < 16) continue
          let out
          const err = throwsCode(() => { out = call(); return out }, AUTH, CryptoError, `${name} pt ${pt.length} tampered ${what}:`)
          assert.equal(out, undefined, 'nothing returned')
          assert.ok(!('plaintext' in err) && !('data' in err), 'the error carries no plaintext')
        }
      }
      // aad undefined and empty aad are the same
      const s1 = a.seal(key, nonce, MSG)
      assertBytes(a.seal(key, nonce, MSG, new Uint8Array(0)), s1)
      assertBytes(a.open(key, nonce, s1, new Uint8Array(0)), MSG)
    })
  }
})

// ---------------------------------------------------------------------------------------------
describe('SecretKey', () => {
  for (const alg of ['ed25519', 'secp256k1', 'x25519']) {
    it(`${alg}: from / generate / publicKey / export / dispose`, () => {
      const mod = crypto[alg]
      const bytes = new Uint8Array(SK)
      const key = SecretKey.from(alg, bytes)
      assert.equal(key.algorithm, alg)
      assert.equal(key.disposed, false)
      assertBytes(bytes, SK, 'the caller\'s array is not zeroed or changed')
      bytes.fill(0)
      assertBytes(key.export(), SK, 'SecretKey.from copies the bytes')
      bytes.set(SK)
      assertBytes(key.publicKey, mod.getPublicKey(SK), 'publicKey = getPublicKey(bytes)')
      assert.equal(key.publicKey.length, alg === 'secp256k1' ? 33 : 32)
      assertBytes(mod.getPublicKey(key), mod.getPublicKey(SK), 'getPublicKey(SecretKey)')
      const exported = key.export()
      exported.fill(0)
      assertBytes(key.export(), SK, 'export() returns a copy')

      if (alg === 'ed25519') assertBytes(ed25519.sign(MSG, key), ed25519.sign(MSG, SK), 'ed25519.sign with SecretKey')
      if (alg === 'secp256k1') {
        assertBytes(secp256k1.sign(DIGEST, key), secp256k1.sign(DIGEST, SK), 'secp256k1.sign with SecretKey')
        assertBytes(secp256k1.sign(DIGEST, key, { format: 'recovered' }), SECP_REC, 'secp256k1.sign recovered with SecretKey')
        assertBytes(secp256k1.getSharedSecret(key, secp256k1.getPublicKey(SK2)), secp256k1.getSharedSecret(SK, secp256k1.getPublicKey(SK2)))
        assertBytes(eth.signMessage(MSG, key), eth.signMessage(MSG, SK), 'eth.signMessage with SecretKey')
      }
      if (alg === 'x25519') assertBytes(x25519.getSharedSecret(key, X_PK), x25519.getSharedSecret(SK, X_PK), 'x25519.getSharedSecret with SecretKey')

      const gen = SecretKey.generate(alg), gen2 = SecretKey.generate(alg)
      assert.equal(gen.algorithm, alg)
      assertBytes(gen.publicKey, mod.getPublicKey(gen.export()), 'generate: publicKey matches its secret')
      assert.notEqual(hex(gen.export()), hex(gen2.export()), 'generate() twice gives different keys')
      gen.dispose(); gen2.dispose()

      key.dispose()
      assert.equal(key.disposed, true)
      throwsCode(() => key.export(), DISPOSED, CryptoError, 'export() after dispose')
      throwsCode(() => mod.getPublicKey(key), DISPOSED, CryptoError, 'getPublicKey after dispose')
      if (alg === 'ed25519') throwsCode(() => ed25519.sign(MSG, key), DISPOSED, CryptoError, 'sign after dispose')
      if (alg === 'secp256k1') {
        throwsCode(() => secp256k1.sign(DIGEST, key), DISPOSED, CryptoError, 'sign after dispose')
        throwsCode(() => secp256k1.getSharedSecret(key, SECP_PK), DISPOSED, CryptoError, 'ECDH after dispose')
        throwsCode(() => eth.signMessage(MSG, key), DISPOSED, CryptoError, 'eth.signMessage after dispose')
      }
      if (alg === 'x25519') throwsCode(() => x25519.getSharedSecret(key, X_PK), DISPOSED, CryptoError, 'ECDH after dispose')
    })
  }
  it('Symbol.dispose disposes (what `using` calls at scope exit)', () => {
    assert.equal(typeof Symbol.dispose, 'symbol')
    const key = SecretKey.generate('ed25519')
    assert.equal(typeof key[Symbol.dispose], 'function')
    // Equivalent of: { using key = ...; ed25519.sign(MSG, key) }
    try {
      assert.equal(ed25519.sign(MSG, key).length, 64)
    } finally {
      key[Symbol.dispose]()
    }
    assert.equal(key.disposed, true)
    throwsCode(() => key.export(), DISPOSED, CryptoError, 'export() after Symbol.dispose')
  })
  it('a key of one algorithm is refused by another algorithm', () => {
    const key = SecretKey.from('secp256k1', SK)
    try {
      for (const [what, call] of [
        ['ed25519.sign', () => ed25519.sign(MSG, key)],
        ['x25519.getSharedSecret', () => x25519.getSharedSecret(key, X_PK)],
        ['ed25519.getPublicKey', () => ed25519.getPublicKey(key)],
      ]) {
        let r
        try { r = call() } catch (e) { assert.match(String(e.code), /^ERR_GHOSTKIT_/, `${what} error code`); continue }
        assert.fail(`${what} accepted a secp256k1 SecretKey and returned ${hex(r)}`)
      }
    } finally {
      key.dispose()
    }
  })
})

// ---------------------------------------------------------------------------------------------
describe('KDF parameters and async variants', () => {
  const salt = b(16, 9)
  it('argon2id resolves to the same bytes as argon2idSync', async () => {
    for (const o of [{ t: 1, m: 8 }, { t: 2, m: 32, p: 2, dkLen: 50 }, { t: 1, m: 24, p: 3, dkLen: 4 }]) {
      const p = crypto.argon2id(MSG, salt, o)
      assert.ok(p instanceof Promise, 'argon2id returns a Promise')
      const got = await p
      assertBytes(got, crypto.argon2idSync(MSG, salt, o), `argon2id ${JSON.stringify(o)}`)
      assert.equal(got.length, o.dkLen ?? 32)
    }
    assert.notEqual(hex(crypto.argon2idSync(MSG, salt, { t: 1, m: 8 })), hex(crypto.argon2idSync(MSG, salt, { t: 2, m: 8 })), 't changes the output')
  })
  const badArgon = [
    ['t = 0', { t: 0, m: 8 }], ['t = -1', { t: -1, m: 8 }], ['t = 1.5', { t: 1.5, m: 8 }],
    ['m = 7 (< 8p)', { t: 1, m: 7 }], ['m = 15, p = 2 (< 8p)', { t: 1, m: 15, p: 2 }],
    ['p = 0', { t: 1, m: 8, p: 0 }], ['p = 256', { t: 1, m: 4096, p: 256 }],
    ['dkLen = 3', { t: 1, m: 8, dkLen: 3 }], ['dkLen = 0', { t: 1, m: 8, dkLen: 0 }],
    ['m > 4 GiB', { t: 1, m: 4 * 1024 * 1024 + 1 }],
  ]
  for (const [what, o] of badArgon) {
    it(`argon2id ${what}: sync throws / async rejects RangeError ERR_GHOSTKIT_CRYPTO_PARAMS`, async () => {
      throwsCode(() => crypto.argon2idSync(MSG, salt, o), PARAMS, RangeError, `argon2idSync ${what}:`)
      await rejectsCode(() => crypto.argon2id(MSG, salt, o), PARAMS, RangeError, `argon2id ${what}:`)
    })
  }
  it('pbkdf2 resolves to the same bytes as pbkdf2Sync', async () => {
    for (const h of ['sha256', 'sha512']) {
      const p = crypto.pbkdf2(h, MSG, salt, { c: 100, dkLen: 77 })
      assert.ok(p instanceof Promise, 'pbkdf2 returns a Promise')
      assertBytes(await p, crypto.pbkdf2Sync(h, MSG, salt, { c: 100, dkLen: 77 }), `pbkdf2 ${h}`)
    }
  })
  const badPbkdf2 = [['c = 0', { c: 0, dkLen: 32 }], ['c = -1', { c: -1, dkLen: 32 }], ['c = 1.5', { c: 1.5, dkLen: 32 }],
    ['dkLen = 0', { c: 1, dkLen: 0 }], ['dkLen = -1', { c: 1, dkLen: -1 }], ['dkLen = 2.5', { c: 1, dkLen: 2.5 }]]
  for (const [what, o] of badPbkdf2) {
    it(`pbkdf2 ${what}: sync throws / async rejects RangeError ERR_GHOSTKIT_CRYPTO_PARAMS`, async () => {
      throwsCode(() => crypto.pbkdf2Sync('sha256', MSG, salt, o), PARAMS, RangeError, `pbkdf2Sync ${what}:`)
      await rejectsCode(() => crypto.pbkdf2('sha256', MSG, salt, o), PARAMS, RangeError, `pbkdf2 ${what}:`)
    })
  }
  it('hkdf length out of range: RangeError ERR_GHOSTKIT_CRYPTO_PARAMS', () => {
    for (const [h, max] of [['sha256', 255 * 32], ['sha512', 255 * 64]]) {
      assert.equal(crypto.hkdf(h, SK, undefined, undefined, max).length, max, `${h} length ${max} is allowed`)
      assert.equal(crypto.hkdf(h, SK, undefined, undefined, 1).length, 1)
      for (const len of [0, -1, max + 1, 1.5]) {
        throwsCode(() => crypto.hkdf(h, SK, undefined, undefined, len), PARAMS, RangeError, `hkdf ${h} length ${len}:`)
      }
    }
    // salt omitted = empty salt (RFC 5869: HashLen zeros)
    assertBytes(crypto.hkdf('sha256', SK, undefined, MSG, 42), crypto.hkdf('sha256', SK, new Uint8Array(32), MSG, 42))
  })
  it('blake3 dkLen must be >= 1', () => {
    for (const d of [0, -1, 1.5]) {
      let r
      try { r = crypto.blake3(MSG, { dkLen: d }) } catch (e) { assert.ok(e instanceof RangeError, `dkLen ${d}: ${e}`); assert.match(String(e.code), /^ERR_GHOSTKIT_/); continue }
      assert.fail(`blake3 dkLen ${d} returned ${hex(r)}`)
    }
    assert.equal(crypto.blake3(MSG, { dkLen: 1 }).length, 1)
    assert.equal(crypto.blake3(MSG, { dkLen: 1000 }).length, 1000)
  })
})

// ---------------------------------------------------------------------------------------------
describe('streaming hashes', () => {
  const algos = ['sha256', 'sha512', 'sha3_256', 'sha3_512', 'keccak_256', 'blake3']
  for (const name of algos) {
    it(`${name}: update returns this, digest once, clone independence, fresh outputs`, () => {
      const fn = crypto[name]
      const data = crypto.randomBytes(300)
      const h = fn.create()
      assert.equal(h.update(data.subarray(0, 100)), h, 'update returns this')
      const c = h.clone()
      assert.notEqual(c, h, 'clone is another object')
      h.update(data.subarray(100))
      c.update(utf8('other'))
      const d1 = h.digest()
      assertBytes(d1, fn(data), 'streamed digest = one-shot')
      assertBytes(c.digest(), fn(concat(data.subarray(0, 100), utf8('other'))), 'clone digest independent of the original')
      assert.equal(d1.length, fn.outputLen)
      // d.ts: "digest() may be called once" — a second call throws (with a ghostkit code).
      let again
      try {
        again = h.digest()
      } catch (e) {
        assert.ok(e instanceof Error)
        assert.match(String(e.code), /^ERR_GHOSTKIT_/, `second digest() error code (got ${e.code})`)
        again = 'threw'
      }
      assert.equal(again, 'threw', `second digest() must throw, returned ${again instanceof Uint8Array ? hex(again) : again}`)
      // A fresh hash from create() is not affected by previous ones.
      assertBytes(fn.create().digest(), fn(new Uint8Array(0)), 'create() starts empty')
      // Outputs are fresh arrays.
      const o1 = fn(data), o2 = fn(data)
      assert.notEqual(o1.buffer, o2.buffer, 'two calls return distinct buffers')
      o1.fill(0)
      assertBytes(fn(data), o2, 'mutating an output does not affect later outputs')
      // The input is not modified.
      const copy = new Uint8Array(data)
      fn(data)
      assertBytes(data, copy, 'input unchanged')
    })
  }
  it('outputLen / blockLen', () => {
    const want = { sha256: [32, 64], sha512: [64, 128], sha3_256: [32, 136], sha3_512: [64, 72], keccak_256: [32, 136], blake3: [32, 64] }
    for (const [name, [o, bl]] of Object.entries(want)) {
      assert.equal(crypto[name].outputLen, o, `${name}.outputLen`)
      assert.equal(crypto[name].blockLen, bl, `${name}.blockLen`)
    }
  })
  it('known answers', () => {
    const abc = utf8('abc')
    assert.equal(hex(crypto.sha256(abc)), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    assert.equal(hex(crypto.sha3_256(abc)), '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532')
    assert.equal(hex(crypto.keccak_256(abc)), '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45')
    assert.equal(hex(crypto.blake3(new Uint8Array(0))), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262')
    assert.equal(hex(crypto.keccak_256(new Uint8Array(0))), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
  })
})

// ---------------------------------------------------------------------------------------------
describe('randomBytes / timingSafeEqual', () => {
  it('randomBytes', () => {
    for (const n of [0, 1, 32, 1000, 65536]) {
      const r = crypto.randomBytes(n)
      assert.ok(r instanceof Uint8Array, 'a Uint8Array')
      assert.equal(r.length, n)
    }
    assert.notEqual(hex(crypto.randomBytes(32)), hex(crypto.randomBytes(32)), 'two calls differ')
    assert.notEqual(hex(crypto.randomBytes(64)), '00'.repeat(64), 'not all zero')
    for (const bad of [-1, 1.5, NaN, Infinity]) {
      let r
      try { r = crypto.randomBytes(bad) } catch (e) { assert.ok(e instanceof RangeError, `randomBytes(${bad}): ${e}`); assert.match(String(e.code), /^ERR_GHOSTKIT_/); continue }
      assert.fail(`randomBytes(${bad}) returned ${r && r.length} bytes`)
    }
  })
  it('timingSafeEqual', () => {
    const a = crypto.randomBytes(64)
    assert.equal(crypto.timingSafeEqual(a, new Uint8Array(a)), true)
    assert.equal(crypto.timingSafeEqual(new Uint8Array(0), new Uint8Array(0)), true)
    for (const i of [0, 31, 63]) {
      const c = new Uint8Array(a)
      c[i] ^= 0x80
      assert.equal(crypto.timingSafeEqual(a, c), false, `differs at byte ${i}`)
    }
    assert.equal(crypto.timingSafeEqual(Buffer.from(a), a.subarray(0)), true, 'Buffer vs Uint8Array')
    throwsCode(() => crypto.timingSafeEqual(a, a.subarray(1)), LENGTH, RangeError, 'length mismatch')
  })
})

describe('x25519 weak keys', () => {
  it('low-order public keys give ERR_GHOSTKIT_CRYPTO_WEAK_KEY', () => {
    const lowOrder = [
      new Uint8Array(32), // 0
      concat(Uint8Array.of(1), new Uint8Array(31)), // 1
      unhex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'), // order 8
      unhex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), // p - 1
    ]
    for (const pk of lowOrder) throwsCode(() => x25519.getSharedSecret(SK, pk), WEAK_KEY, CryptoError, `x25519 with ${hex(pk)}:`)
  })
  it('RFC 7748 §6.1 Diffie-Hellman vector', () => {
    const aSk = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    const bSk = unhex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
    assert.equal(hex(x25519.getPublicKey(aSk)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    assert.equal(hex(x25519.getSharedSecret(aSk, x25519.getPublicKey(bSk))), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')
  })
})
