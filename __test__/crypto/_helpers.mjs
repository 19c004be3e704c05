// Shared helpers for the ghostkit/crypto node:test suites (not a test file itself).
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

/** The module under test (CommonJS). Loading failures propagate: every suite fails loudly. */
export function loadCrypto() {
  return createRequire(import.meta.url)('../../lib/crypto.js')
}

export const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex')
export const unhex = (s) => {
  assert.equal(s.length % 2, 0, `odd-length hex: ${s}`)
  return new Uint8Array(Buffer.from(s, 'hex'))
}
export const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
export const utf8 = (s) => new Uint8Array(Buffer.from(s, 'utf8'))

/** Asserts `u8` is a Uint8Array whose bytes equal `expected` (Uint8Array or hex string). */
export function assertBytes(u8, expected, msg = '') {
  assert.ok(u8 instanceof Uint8Array, `${msg} expected a Uint8Array, got ${Object.prototype.toString.call(u8)}`)
  const want = typeof expected === 'string' ? expected : hex(expected)
  assert.equal(hex(u8), want, msg)
}

/**
 * Calls fn, which must throw an error with `code` (and, when given, be an instance of `ctor`).
 * Returns the error. A return value is a failure (reported with the value).
 */
export function throwsCode(fn, code, ctor, msg = '') {
  let ret
  try {
    ret = fn()
  } catch (e) {
    if (ctor) assert.ok(e instanceof ctor, `${msg} expected ${ctor.name}, got ${e && e.constructor && e.constructor.name}: ${e && e.message} (code ${e && e.code})`)
    const codes = Array.isArray(code) ? code : [code]
    assert.ok(codes.includes(e && e.code), `${msg} expected code ${codes.join('|')}, got ${e && e.code} (${e && e.name}: ${e && e.message})`)
    return e
  }
  assert.fail(`${msg} expected a throw with code ${code}, but it returned ${describe(ret)}`)
}

/** Like throwsCode for a function returning a promise: it must return a promise (not throw) that rejects. */
export async function rejectsCode(fn, code, ctor, msg = '') {
  let p
  try {
    p = fn()
  } catch (e) {
    assert.fail(`${msg} threw synchronously (${e && e.code} ${e && e.message}) instead of returning a rejected promise`)
  }
  assert.ok(p && typeof p.then === 'function', `${msg} did not return a promise: ${describe(p)}`)
  let ret
  try {
    ret = await p
  } catch (e) {
    if (ctor) assert.ok(e instanceof ctor, `${msg} expected ${ctor.name}, got ${e && e.constructor && e.constructor.name}: ${e && e.message}`)
    const codes = Array.isArray(code) ? code : [code]
    assert.ok(codes.includes(e && e.code), `${msg} expected code ${codes.join('|')}, got ${e && e.code} (${e && e.message})`)
    return e
  }
  assert.fail(`${msg} expected a rejection with code ${code}, but it resolved to ${describe(ret)}`)
}

export function describe(v) {
  if (v instanceof Uint8Array) return `Uint8Array(${v.length}) ${hex(v).slice(0, 80)}`
  try { return JSON.stringify(v) } catch { return String(v) }
}

/** Fails loudly when GHOSTKIT_CPU_LEVEL is set and the module runs another level; reports the level. */
export function checkCpuLevel(t, crypto) {
  t.diagnostic(`ghostkit crypto cpuLevel = ${crypto.cpuLevel}; available = ${JSON.stringify(crypto.availableCpuLevels)}`)
  assert.equal(typeof crypto.cpuLevel, 'string')
  assert.ok(['baseline', 'x86_64_v3', 'x86_64_v4'].includes(crypto.cpuLevel), `unknown cpuLevel ${crypto.cpuLevel}`)
  const want = process.env.GHOSTKIT_CPU_LEVEL
  if (want !== undefined && want !== '') {
    assert.equal(crypto.cpuLevel, want, `GHOSTKIT_CPU_LEVEL=${want} but the module reports ${crypto.cpuLevel}`)
  }
}

/**
 * Deterministic PRNG (sfc32 seeded by splitmix32). The seed comes from GHOSTKIT_TEST_SEED
 * (decimal or 0x-hex) or is drawn at random; it is printed so a failure can be replayed.
 */
export function makeRng(seedArg) {
  let seed = seedArg
  if (seed === undefined) {
    const env = process.env.GHOSTKIT_TEST_SEED
    seed = env ? Number(env) >>> 0 : (Math.random() * 2 ** 32) >>> 0
  }
  let s = seed >>> 0
  const sm = () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = sm(), b = sm(), c = sm(), d = sm()
  const u32 = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
    const t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    const r = (t + d) | 0
    c = (c + r) | 0
    return r >>> 0
  }
  for (let i = 0; i < 16; i++) u32()
  const rng = {
    seed,
    u32,
    /** integer in [lo, hi] */
    int: (lo, hi) => lo + Math.floor((u32() / 2 ** 32) * (hi - lo + 1)),
    bool: () => (u32() & 1) === 1,
    bytes: (n) => {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i += 4) {
        const v = u32()
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff
      }
      return out
    },
    pick: (arr) => arr[Math.floor((u32() / 2 ** 32) * arr.length)],
  }
  return rng
}

/** Splits `data` into random chunks (some empty). */
export function randomChunks(rng, data) {
  const chunks = []
  let i = 0
  while (i < data.length) {
    const n = rng.int(0, Math.min(data.length - i, rng.pick([1, 7, 64, 200, 1000, 5000])))
    chunks.push(data.subarray(i, i + n))
    i += n
  }
  if (rng.bool()) chunks.push(new Uint8Array(0))
  return chunks
}

/** secp256k1 group order. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
export const bigToBytes32 = (x) => unhex(x.toString(16).padStart(64, '0'))
export const bytesToBig = (u8) => (u8.length ? BigInt('0x' + hex(u8)) : 0n)
