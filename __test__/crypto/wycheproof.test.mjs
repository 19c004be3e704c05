// Wycheproof vectors for ghostkit/crypto. Every case of every JSON file in
// shared/vectors/wycheproof/ is checked; a missing directory or file fails the suite.
// Failing cases are collected per file and reported together (tcId: what was expected vs got).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { loadCrypto, hex, unhex, concat, describe, checkCpuLevel } from './_helpers.mjs'

const crypto = loadCrypto()
const { CryptoError } = crypto

const DIR = new URL('../../../shared/vectors/wycheproof/', import.meta.url)

const LENGTH = 'ERR_GHOSTKIT_CRYPTO_LENGTH'
const AUTH = 'ERR_GHOSTKIT_CRYPTO_AUTH'
const INVALID_KEY = 'ERR_GHOSTKIT_CRYPTO_INVALID_KEY'
const INVALID_SIGNATURE = 'ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE'
const WEAK_KEY = 'ERR_GHOSTKIT_CRYPTO_WEAK_KEY'
const PARAMS = 'ERR_GHOSTKIT_CRYPTO_PARAMS'

function loadVectors(name) {
  const url = new URL(name, DIR)
  assert.ok(existsSync(url), `Wycheproof file missing: ${fileURLToPath(url)}`)
  const json = JSON.parse(readFileSync(url, 'utf8'))
  assert.ok(Array.isArray(json.testGroups) && json.testGroups.length > 0, `${name}: no testGroups`)
  assert.equal(typeof json.numberOfTests, 'number', `${name}: no numberOfTests`)
  return json
}

/** Outcome of a call: { ok: value } or { err }. */
function attempt(fn) {
  try {
    return { ok: fn() }
  } catch (err) {
    return { err }
  }
}
const errStr = (e) => `${e && e.constructor && e.constructor.name}(${e && e.code}: ${e && e.message})`
const outStr = (r) => ('err' in r ? `throws ${errStr(r.err)}` : `returns ${describe(r.ok)}`)
const isErr = (r, code, ctor) => 'err' in r && r.err && r.err.code === code && (!ctor || r.err instanceof ctor)

/**
 * Runs every case of a file through `check(tc, group)`, which returns null when the case passes
 * or a string describing the mismatch. Asserts nothing failed and that the number of checked
 * cases equals numberOfTests.
 */
function runFile(t, name, check) {
  const json = loadVectors(name)
  const failures = []
  const stats = { checked: 0, valid: 0, invalid: 0, acceptable: 0 }
  const extra = {}
  for (const group of json.testGroups) {
    for (const tc of group.tests) {
      assert.ok(['valid', 'invalid', 'acceptable'].includes(tc.result), `${name} tcId ${tc.tcId}: unknown result ${tc.result}`)
      let msg
      try {
        msg = check(tc, group, extra)
      } catch (e) {
        msg = `test harness threw ${errStr(e)}`
      }
      stats.checked++
      stats[tc.result]++
      if (msg) failures.push(`tcId ${tc.tcId} [${tc.result}; ${tc.flags.join(',')}${tc.comment ? '; ' + tc.comment : ''}]: ${msg}`)
    }
  }
  t.diagnostic(`${name}: ${stats.checked} cases (valid ${stats.valid}, invalid ${stats.invalid}, acceptable ${stats.acceptable})` +
    (Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '') + `; ${failures.length} failing`)
  assert.equal(stats.checked, json.numberOfTests, `${name}: checked ${stats.checked} cases but the file declares ${json.numberOfTests}`)
  if (failures.length) {
    assert.fail(`${name}: ${failures.length} of ${stats.checked} cases fail:\n  ` + failures.join('\n  '))
  }
}

const bump = (extra, k) => { extra[k] = (extra[k] || 0) + 1 }

// ---------------------------------------------------------------------------------------------
// AEAD (aes_gcm, chacha20_poly1305, xchacha20_poly1305)
// ---------------------------------------------------------------------------------------------

/**
 * `pick(group)` returns the list of ghostkit AEADs that could be asked for this group: one when the
 * group's key size is offered, several (every AEAD of the family) when it is not (e.g. AES-192).
 */
function aeadCheck(pick) {
  return (tc, group, extra) => {
    const key = unhex(tc.key), iv = unhex(tc.iv), aad = unhex(tc.aad), msg = unhex(tc.msg)
    const ct = unhex(tc.ct), tag = unhex(tc.tag)
    const sealed = concat(ct, tag)
    const aeads = pick(group)
    const supported = aeads.length === 1 &&
      key.length === aeads[0].keyLength && iv.length === aeads[0].nonceLength &&
      group.tagSize === 128 && group.ivSize === aeads[0].nonceLength * 8
    if (!supported) {
      // Sizes the API does not offer (AES-192, IV != 96 bits, ...): a clear rejection, never output.
      bump(extra, 'unsupportedSizeRejected')
      for (const aead of aeads) {
        const s = attempt(() => aead.seal(key, iv, msg, aad))
        if (!isErr(s, LENGTH, RangeError)) return `unsupported sizes (key ${key.length * 8}, iv ${iv.length * 8}): seal expected RangeError ${LENGTH}, got ${outStr(s)}`
        const o = attempt(() => aead.open(key, iv, sealed, aad))
        if (!isErr(o, LENGTH, RangeError)) return `unsupported sizes (key ${key.length * 8}, iv ${iv.length * 8}): open expected RangeError ${LENGTH}, got ${outStr(o)}`
      }
      return null
    }
    const aead = aeads[0]
    bump(extra, 'supported')
    if (tc.result === 'valid' || tc.result === 'acceptable') {
      const s = attempt(() => aead.seal(key, iv, msg, aad))
      const o = attempt(() => aead.open(key, iv, sealed, aad))
      const sealOk = 'ok' in s && s.ok instanceof Uint8Array && hex(s.ok) === hex(sealed)
      const openOk = 'ok' in o && o.ok instanceof Uint8Array && hex(o.ok) === tc.msg
      if (tc.result === 'acceptable') {
        // Either fully accepted or rejected cleanly by open.
        if (sealOk && openOk) return null
        if ('err' in o && [AUTH, LENGTH].includes(o.err.code)) return null
      }
      if (!sealOk) return `seal expected ${tc.ct}${tc.tag}, got ${outStr(s)}`
      if (!openOk) return `open expected ${tc.msg}, got ${outStr(o)}`
      return null
    }
    // invalid: open must throw AUTH (LENGTH when the sizes themselves are wrong), returning nothing.
    const o = attempt(() => aead.open(key, iv, sealed, aad))
    const want = tag.length !== 16 ? [AUTH, LENGTH] : [AUTH]
    if ('err' in o && want.includes(o.err.code) && (o.err.code === AUTH ? o.err instanceof CryptoError : o.err instanceof RangeError)) return null
    return `open expected ${want.join('|')}, got ${outStr(o)}`
  }
}

// ---------------------------------------------------------------------------------------------
// strict DER parser for the SubjectPublicKeyInfo of ecdh_secp256k1
// ---------------------------------------------------------------------------------------------

/** Reads one DER TLV at `pos`; throws on any BER-ism (indefinite / non-minimal length, high tag). */
function derTLV(buf, pos) {
  if (pos + 2 > buf.length) throw new Error('truncated TLV')
  const tag = buf[pos]
  if ((tag & 0x1f) === 0x1f) throw new Error('high tag number')
  let len = buf[pos + 1]
  let off = pos + 2
  if (len === 0x80) throw new Error('indefinite length')
  if (len > 0x80) {
    const n = len & 0x7f
    if (n > 4 || off + n > buf.length) throw new Error('bad length of length')
    if (buf[off] === 0) throw new Error('non-minimal length (leading zero)')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i]
    if (len < 0x80) throw new Error('non-minimal length (long form for < 128)')
    off += n
  }
  if (off + len > buf.length) throw new Error('length past end')
  return { tag, value: buf.subarray(off, off + len), end: off + len }
}

const OID_EC_PUBLIC_KEY = '2a8648ce3d0201' // 1.2.840.10045.2.1
const OID_SECP256K1 = '2b8104000a' // 1.3.132.0.10

/**
 * SEQUENCE { SEQUENCE { OID ecPublicKey, OID secp256k1 }, BIT STRING (0 unused bits) point }.
 * Returns the point bytes, or throws (the case then counts as rejected).
 */
function parseSecp256k1Spki(der) {
  const outer = derTLV(der, 0)
  if (outer.tag !== 0x30) throw new Error('not a SEQUENCE')
  if (outer.end !== der.length) throw new Error('trailing data after SubjectPublicKeyInfo')
  const body = outer.value
  const alg = derTLV(body, 0)
  if (alg.tag !== 0x30) throw new Error('algorithm is not a SEQUENCE')
  const oid1 = derTLV(alg.value, 0)
  if (oid1.tag !== 0x06 || hex(oid1.value) !== OID_EC_PUBLIC_KEY) throw new Error('algorithm is not id-ecPublicKey')
  const oid2 = derTLV(alg.value, oid1.end)
  if (oid2.tag !== 0x06) throw new Error('curve parameters are not a named curve OID')
  if (hex(oid2.value) !== OID_SECP256K1) throw new Error('named curve is not secp256k1')
  if (oid2.end !== alg.value.length) throw new Error('trailing data in AlgorithmIdentifier')
  const bits = derTLV(body, alg.end)
  if (bits.tag !== 0x03) throw new Error('subjectPublicKey is not a BIT STRING')
  if (bits.end !== body.length) throw new Error('trailing data in SubjectPublicKeyInfo')
  if (bits.value.length < 1 || bits.value[0] !== 0) throw new Error('BIT STRING with unused bits')
  return bits.value.subarray(1)
}

/** Big-endian private scalar from Wycheproof (leading 00 or short) to exactly 32 bytes. */
function priv32(h) {
  let b = unhex(h)
  while (b.length > 32 && b[0] === 0) b = b.subarray(1)
  if (b.length > 32) throw new Error(`private key longer than 32 bytes: ${h}`)
  return concat(new Uint8Array(32 - b.length), b)
}

const sha256 = (u8) => new Uint8Array(createHash('sha256').update(u8).digest())

// ---------------------------------------------------------------------------------------------
// ECDSA (DER / bitcoin / P1363)
// ---------------------------------------------------------------------------------------------

function ecdsaDerCheck({ lowS }) {
  // lowS === false: plain ECDSA (high S allowed); lowS === undefined: ghostkit's default (low-S enforced).
  const verifyOpts = lowS === false ? { format: 'der', lowS: false } : { format: 'der' }
  const compactOpts = lowS === false ? { lowS: false } : undefined
  return (tc, group, extra) => {
    const pub = unhex(group.publicKey.uncompressed)
    const sig = unhex(tc.sig)
    const digest = sha256(unhex(tc.msg))
    const expect = tc.result === 'valid'
    // 1. verify with format 'der': a boolean, never a throw for a bad signature.
    const v = attempt(() => crypto.secp256k1.verify(sig, digest, pub, verifyOpts))
    if ('err' in v) return `verify(der) threw ${errStr(v.err)}; expected ${expect}`
    if (typeof v.ok !== 'boolean') return `verify(der) returned non-boolean ${describe(v.ok)}`
    if (tc.result !== 'acceptable' && v.ok !== expect) return `verify(der) expected ${expect}, got ${v.ok}`
    // 2. signatureFromDER -> compact -> verify must agree (or the strict parser rejects).
    const c = attempt(() => crypto.secp256k1.signatureFromDER(sig))
    if ('err' in c) {
      if (!isErr(c, INVALID_SIGNATURE, CryptoError)) return `signatureFromDER threw ${errStr(c.err)}; expected ${INVALID_SIGNATURE}`
      if (tc.result === 'valid') return `signatureFromDER rejected a valid signature: ${errStr(c.err)}`
      bump(extra, 'derRejectedByParser')
      return null
    }
    if (!(c.ok instanceof Uint8Array) || c.ok.length !== 64) return `signatureFromDER returned ${describe(c.ok)}, expected 64 bytes`
    const v2 = attempt(() => crypto.secp256k1.verify(c.ok, digest, pub, compactOpts))
    if ('err' in v2) return `verify(compact from DER) threw ${errStr(v2.err)}`
    if (tc.result !== 'acceptable' && v2.ok !== expect) return `verify(compact from DER) expected ${expect}, got ${v2.ok}`
    if (tc.result === 'valid') {
      // Valid signatures are strict DER, so they round-trip byte for byte.
      const back = attempt(() => crypto.secp256k1.signatureToDER(c.ok))
      if ('err' in back || hex(back.ok) !== tc.sig) return `signatureToDER(signatureFromDER(sig)) expected ${tc.sig}, got ${outStr(back)}`
    }
    return null
  }
}

function ecdsaP1363Check(tc, group, extra) {
  const pub = unhex(group.publicKey.uncompressed)
  const sig = unhex(tc.sig)
  const digest = sha256(unhex(tc.msg))
  const expect = tc.result === 'valid'
  if (sig.length !== 64) bump(extra, 'wrongLengthSignatures')
  const v = attempt(() => crypto.secp256k1.verify(sig, digest, pub, { format: 'compact', lowS: false }))
  if ('err' in v) return `verify(compact) threw ${errStr(v.err)}; expected ${expect} (a bad signature must give false)`
  if (typeof v.ok !== 'boolean') return `verify returned non-boolean ${describe(v.ok)}`
  if (tc.result !== 'acceptable' && v.ok !== expect) return `verify(compact, lowS:false) expected ${expect}, got ${v.ok}`
  if (tc.result === 'valid') {
    const der = attempt(() => crypto.secp256k1.signatureToDER(sig))
    if ('err' in der) return `signatureToDER threw ${errStr(der.err)}`
    const v2 = attempt(() => crypto.secp256k1.verify(der.ok, digest, pub, { format: 'der', lowS: false }))
    if (!('ok' in v2) || v2.ok !== true) return `verify(signatureToDER(sig), der) expected true, got ${outStr(v2)}`
  }
  return null
}

// ---------------------------------------------------------------------------------------------
// the files
// ---------------------------------------------------------------------------------------------

const HANDLERS = {
  'aes_gcm_test.json': aeadCheck((g) =>
    g.keySize === 128 ? [crypto.aes128gcm] : g.keySize === 256 ? [crypto.aes256gcm] : [crypto.aes128gcm, crypto.aes256gcm]),
  'chacha20_poly1305_test.json': aeadCheck(() => [crypto.chacha20poly1305]),
  'xchacha20_poly1305_test.json': aeadCheck(() => [crypto.xchacha20poly1305]),

  // Choice (see lib/crypto.d.ts: "verify functions return false for a bad signature and never throw
  // for it"; LENGTH is "a byte string has the wrong length"): a signature of any length, or any
  // content, gives false; only a public key of the wrong length may throw (RangeError
  // ERR_GHOSTKIT_CRYPTO_LENGTH). Every public key in this file is 32 bytes, so verify must never throw here.
  'ed25519_test.json': (tc, group, extra) => {
    const pk = unhex(group.publicKey.pk)
    const sig = unhex(tc.sig)
    if (sig.length !== 64) bump(extra, 'wrongLengthSignatures')
    const expect = tc.result === 'valid'
    const v = attempt(() => crypto.ed25519.verify(sig, unhex(tc.msg), pk))
    if ('err' in v) return `verify threw ${errStr(v.err)}; expected ${expect}`
    if (typeof v.ok !== 'boolean') return `verify returned non-boolean ${describe(v.ok)}`
    if (tc.result !== 'acceptable' && v.ok !== expect) return `verify expected ${expect}, got ${v.ok}`
    return null
  },

  // The d.ts says getSharedSecret "Throws ERR_GHOSTKIT_CRYPTO_WEAK_KEY on an all-zero result", so an
  // all-zero expected shared secret (only in 'acceptable' low-order cases) must throw WEAK_KEY;
  // every other case, valid or acceptable, must give the expected bytes exactly.
  'x25519_test.json': (tc, group, extra) => {
    const zero = /^(00)+$/.test(tc.shared)
    const r = attempt(() => crypto.x25519.getSharedSecret(unhex(tc.private), unhex(tc.public)))
    if (zero) {
      bump(extra, 'zeroSharedWeakKey')
      if (tc.result === 'valid') {
        // Not present in the current file; a valid all-zero result would contradict the d.ts.
        return isErr(r, WEAK_KEY, CryptoError) ? null : `expected ${WEAK_KEY} (all-zero shared), got ${outStr(r)}`
      }
      return isErr(r, WEAK_KEY, CryptoError) ? null : `all-zero shared: expected ${WEAK_KEY}, got ${outStr(r)}`
    }
    if ('err' in r) return `expected shared ${tc.shared}, threw ${errStr(r.err)}`
    if (!(r.ok instanceof Uint8Array) || hex(r.ok) !== tc.shared) return `expected shared ${tc.shared}, got ${outStr(r)}`
    return null
  },

  'ecdsa_secp256k1_sha256_test.json': ecdsaDerCheck({ lowS: false }),
  'ecdsa_secp256k1_sha256_bitcoin_test.json': ecdsaDerCheck({ lowS: undefined }),
  'ecdsa_secp256k1_sha256_p1363_test.json': ecdsaP1363Check,

  'ecdh_secp256k1_test.json': (tc, group, extra) => {
    assert.equal(group.curve, 'secp256k1')
    assert.equal(group.encoding, 'asn')
    let point
    try {
      point = parseSecp256k1Spki(unhex(tc.public))
    } catch (e) {
      bump(extra, 'rejectedByDerParser')
      if (tc.result === 'valid') return `the test's strict SPKI parser rejected a valid public key (${e.message})`
      return null
    }
    const sk = priv32(tc.private)
    const r = attempt(() => crypto.secp256k1.getSharedSecret(sk, point))
    // A point that is not 33 or 65 bytes long (e.g. an empty or padded BIT STRING) is a byte string of
    // the wrong length: RangeError ERR_GHOSTKIT_CRYPTO_LENGTH. Any other bad point: INVALID_KEY.
    const badLen = point.length !== 33 && point.length !== 65
    const rejected = badLen ? isErr(r, LENGTH, RangeError) : isErr(r, INVALID_KEY, CryptoError)
    const wantErr = badLen ? `RangeError ${LENGTH} (point of ${point.length} bytes)` : INVALID_KEY
    if (tc.result === 'invalid' || badLen) {
      bump(extra, badLen ? 'rejectedByLibraryLength' : 'rejectedByLibrary')
      return rejected ? null : `expected ${wantErr}, got ${outStr(r)}`
    }
    if ('err' in r) {
      if (tc.result === 'acceptable' && rejected) return null
      return `expected shared x ${tc.shared}, threw ${errStr(r.err)}`
    }
    if (!(r.ok instanceof Uint8Array) || r.ok.length !== 33 || ![2, 3].includes(r.ok[0])) return `expected a 33-byte compressed point, got ${describe(r.ok)}`
    if (hex(r.ok.subarray(1)) !== tc.shared) return `expected shared x ${tc.shared}, got ${hex(r.ok.subarray(1))}`
    const u = attempt(() => crypto.secp256k1.getSharedSecret(sk, point, false))
    if (!('ok' in u) || u.ok.length !== 65 || u.ok[0] !== 4 || hex(u.ok.subarray(1, 33)) !== tc.shared) return `uncompressed shared point expected x ${tc.shared}, got ${outStr(u)}`
    return null
  },

  // Size out of range is a KDF parameter out of range: RangeError ERR_GHOSTKIT_CRYPTO_PARAMS.
  'hkdf_sha256_test.json': (tc) => {
    const r = attempt(() => crypto.hkdf('sha256', unhex(tc.ikm), unhex(tc.salt), unhex(tc.info), tc.size))
    if (tc.result === 'invalid') return isErr(r, PARAMS, RangeError) ? null : `size ${tc.size}: expected RangeError ${PARAMS}, got ${outStr(r)}`
    if ('err' in r || !(r.ok instanceof Uint8Array) || hex(r.ok) !== tc.okm) return `expected ${tc.okm}, got ${outStr(r)}`
    return null
  },

  'hmac_sha256_test.json': hmacCheck('sha256'),
  'hmac_sha512_test.json': hmacCheck('sha512'),

  'pbkdf2_hmacsha512_test.json': (tc) => {
    const r = attempt(() => crypto.pbkdf2Sync('sha512', unhex(tc.password), unhex(tc.salt), { c: tc.iterationCount, dkLen: tc.dkLen }))
    if (tc.result === 'invalid') return 'err' in r ? null : `expected a rejection, got ${outStr(r)}`
    if ('err' in r || hex(r.ok) !== tc.dk) return `expected ${tc.dk}, got ${outStr(r)}`
    return null
  },
}

function hmacCheck(hash) {
  // Truncated tags (tagSize < digest size): compare the prefix.
  return (tc, group) => {
    const r = attempt(() => crypto.hmac(hash, unhex(tc.key), unhex(tc.msg)))
    if ('err' in r) return `hmac threw ${errStr(r.err)}`
    const full = r.ok.length
    if (full !== (hash === 'sha256' ? 32 : 64)) return `hmac output length ${full}`
    const got = hex(r.ok.subarray(0, group.tagSize / 8))
    if (tc.result === 'valid' && got !== tc.tag) return `expected tag ${tc.tag}, got ${got}`
    if (tc.result === 'invalid' && got === tc.tag) return `modified tag ${tc.tag} matched the computed MAC`
    return null
  }
}

test('cpu level', (t) => {
  checkCpuLevel(t, crypto)
})

test('wycheproof directory holds exactly the handled files', () => {
  assert.ok(existsSync(DIR), `Wycheproof directory missing: ${fileURLToPath(DIR)}`)
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
  const handled = Object.keys(HANDLERS).sort()
  const unhandled = files.filter((f) => !handled.includes(f))
  const missing = handled.filter((f) => !files.includes(f))
  assert.deepEqual(missing, [], `Wycheproof files missing: ${missing.join(', ')}`)
  assert.deepEqual(unhandled, [], `Wycheproof files with no handler (would be silently skipped): ${unhandled.join(', ')}`)
})

for (const name of Object.keys(HANDLERS)) {
  test(`wycheproof ${name}`, (t) => {
    runFile(t, name, HANDLERS[name])
  })
}
