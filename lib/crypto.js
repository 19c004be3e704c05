'use strict'
// ghostkit/crypto — ZCrypto (Zig std.crypto) in the style of @noble: bytes in, bytes out.
// This layer checks argument types and lengths, allocates the outputs the native
// functions write into, and turns their negative status numbers into typed errors.

const native = require('./native.js')
const { CryptoError, typeError, rangeError, check, fromStatus } = require('./errors.js')

const levels = native.cryptoCpuLevels()
if (levels.error) {
  const error = new Error(`ghostkit: ${levels.error}`)
  error.code = 'ERR_GHOSTKIT_CPU_LEVEL'
  throw error
}
const cpuLevel = levels.level
const availableCpuLevels = levels.available

const EMPTY = new Uint8Array(0)
const utf8 = new TextEncoder()

// V8 keeps typed arrays of up to 64 bytes inside its own heap, and handing one to native
// code makes V8 move it out first — an allocation that costs more than a hash of 64 bytes.
// So small outputs are written into views of one off-heap scratch buffer and copied out
// with slice(), and small inputs are copied in (secrets are wiped after the call).
// Slot 0 is for outputs, slots 1–3 for inputs. The JS thread is the only user.
const SLOT_BYTES = 128
const SCRATCH = new Uint8Array(4 * SLOT_BYTES)
const VIEWS = [[], [], [], []]

function scratch(slot, length) {
  return (VIEWS[slot][length] ??= SCRATCH.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + length))
}

/**
 * An output buffer for `length` bytes: a scratch view (copy it with slice()), or a new
 * array. Large outputs skip the zero-fill (a third of an AEAD call on 16 KiB): the native
 * call writes every byte, and on failure the array is dropped, never returned.
 * allocUnsafeSlow never draws from Buffer's shared pool, so `.buffer` exposes nothing else.
 */
function output(length) {
  if (length <= SLOT_BYTES) return scratch(0, length)
  const buffer = Buffer.allocUnsafeSlow(length)
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length)
}

/** The bytes to hand to native code: a scratch copy when small, else the array itself. */
function stage(bytes, slot) {
  if (bytes.length > SLOT_BYTES) return bytes
  const view = scratch(slot, bytes.length)
  view.set(bytes)
  return view
}

/** Zeroes a staged copy of a secret. */
function wipe(staged, original) {
  if (staged !== original) staged.fill(0)
}

/** A copy of a secret output written to scratch, which is then wiped. */
function takeSecret(out) {
  const copy = out.slice()
  out.fill(0)
  return copy
}

function bytes(value, name) {
  if (!(value instanceof Uint8Array)) {
    throw typeError(`${name} must be a Uint8Array or Buffer, got ${describe(value)}`)
  }
  return value
}

function bytesOfLength(value, length, name) {
  bytes(value, name)
  if (value.length !== length) {
    throw rangeError(`${name} must be ${length} bytes, got ${value.length}`, 'ERR_GHOSTKIT_CRYPTO_LENGTH')
  }
  return value
}

function optionalBytes(value, name) {
  return value === undefined || value === null ? EMPTY : bytes(value, name)
}

function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an Array'
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`
  return `type ${typeof value}`
}

function integer(value, name, min, max, code) {
  if (typeof value !== 'number') throw typeError(`${name} must be a number, got ${describe(value)}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw rangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`, code)
  }
  return value
}

function boolean(value, name, fallback) {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw typeError(`${name} must be a boolean, got ${describe(value)}`)
  return value
}

function options(value, name) {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object') throw typeError(`${name} must be an object, got ${describe(value)}`)
  return value
}

function textOrBytes(value, name) {
  if (typeof value === 'string') return utf8.encode(value)
  return bytes(value, name)
}

// --- SecretKey -----------------------------------------------------------------------

const ALGORITHMS = { ed25519: 1, secp256k1: 2, x25519: 3 }
const constructing = Symbol('SecretKey')
let nativeOf

class SecretKey {
  #native
  #algorithm
  #publicKey

  constructor(token, algorithm, handle, publicKey) {
    if (token !== constructing) {
      throw typeError('use SecretKey.from(algorithm, bytes) or SecretKey.generate(algorithm)', 'ERR_GHOSTKIT_ILLEGAL_CONSTRUCTOR')
    }
    this.#algorithm = algorithm
    this.#native = handle
    this.#publicKey = publicKey
  }

  static {
    nativeOf = (key) => key.#native
  }

  static from(algorithm, secret) {
    const id = keyAlgorithm(algorithm)
    bytesOfLength(secret, 32, 'secret key')
    if (algorithm === 'secp256k1' && !secp256k1.isValidSecretKey(secret)) {
      throw new CryptoError('secret key: not a valid secp256k1 scalar (must be 0 < key < n)', 'ERR_GHOSTKIT_CRYPTO_INVALID_KEY')
    }
    const handle = native.NativeSecretKey.fromBytes(id, secret)
    const publicKey = new Uint8Array(algorithm === 'secp256k1' ? 33 : 32)
    check(handle.publicKeyInto(publicKey), 'SecretKey.from')
    return new SecretKey(constructing, algorithm, handle, publicKey)
  }

  static generate(algorithm) {
    keyAlgorithm(algorithm)
    const secret = algorithm === 'secp256k1' ? secp256k1.keygen().secretKey : randomBytes(32)
    try {
      return SecretKey.from(algorithm, secret)
    } finally {
      secret.fill(0)
    }
  }

  get algorithm() {
    return this.#algorithm
  }

  get publicKey() {
    return this.#publicKey.slice()
  }

  get disposed() {
    return this.#native.disposed
  }

  export() {
    const out = new Uint8Array(32)
    check(this.#native.exportInto(out), 'SecretKey.export')
    return out
  }

  dispose() {
    this.#native.dispose()
  }

  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.dispose()
  }
}

function keyAlgorithm(algorithm) {
  if (typeof algorithm !== 'string') throw typeError(`algorithm must be a string, got ${describe(algorithm)}`)
  const id = ALGORITHMS[algorithm]
  if (id === undefined) {
    throw rangeError(`algorithm must be one of ${Object.keys(ALGORITHMS).join(', ')}, got ${String(algorithm)}`, 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
  }
  return id
}

/** The native handle of a SecretKey of `algorithm`, or null for raw bytes (checked). */
function keyHandle(secretKey, algorithm) {
  if (secretKey instanceof SecretKey) {
    if (secretKey.algorithm !== algorithm) {
      throw new CryptoError(`secret key: a ${secretKey.algorithm} key cannot be used for ${algorithm}`, 'ERR_GHOSTKIT_CRYPTO_INVALID_KEY')
    }
    if (secretKey.disposed) throw fromStatus(-10, algorithm)
    return nativeOf(secretKey)
  }
  bytesOfLength(secretKey, 32, 'secret key')
  return null
}

/**
 * Calls `viaKey(handle)` for a SecretKey of `algorithm`, or `viaBytes(staged)` for raw
 * secret bytes, which are staged into scratch and wiped after the call.
 */
function withSecret(secretKey, algorithm, viaKey, viaBytes) {
  const handle = keyHandle(secretKey, algorithm)
  if (handle !== null) return viaKey(handle)
  const secret = stage(secretKey, 1)
  try {
    return viaBytes(secret)
  } finally {
    wipe(secret, secretKey)
  }
}

// --- randomness and comparison --------------------------------------------------------

function randomBytes(length) {
  integer(length, 'length', 0, 2 ** 31 - 1, 'ERR_GHOSTKIT_CRYPTO_LENGTH')
  const out = new Uint8Array(length)
  check(native.randomFill(out), 'randomBytes')
  return out
}

function timingSafeEqual(a, b) {
  bytes(a, 'a')
  bytes(b, 'b')
  if (a.length !== b.length) {
    throw rangeError(`timingSafeEqual: lengths differ (${a.length} and ${b.length})`, 'ERR_GHOSTKIT_CRYPTO_LENGTH')
  }
  return native.timingSafeEqual(a, b)
}

// --- hashes ---------------------------------------------------------------------------

class Hash {
  #state
  #outputLen
  #name

  constructor(token, state, outputLen, name) {
    if (token !== constructing) throw typeError('use <hash>.create()', 'ERR_GHOSTKIT_ILLEGAL_CONSTRUCTOR')
    this.#state = state
    this.#outputLen = outputLen
    this.#name = name
  }

  update(data) {
    bytes(data, 'data')
    check(this.#state.update(data), `${this.#name}.update`)
    return this
  }

  digest() {
    const out = output(this.#outputLen)
    check(this.#state.digestInto(out), `${this.#name}.digest`)
    return out.length <= SLOT_BYTES ? out.slice() : out
  }

  clone() {
    const state = this.#state.copy()
    if (state === null) throw fromStatus(-11, `${this.#name}.clone`)
    return new Hash(constructing, state, this.#outputLen, this.#name)
  }
}

function hashFunction(id, name, outputLen, blockLen) {
  const fn = function (data) {
    bytes(data, 'data')
    const out = scratch(0, outputLen)
    check(native.hashInto(id, stage(data, 1), out), name)
    return out.slice()
  }
  Object.defineProperty(fn, 'name', { value: name })
  fn.create = () => new Hash(constructing, native.NativeHasher.create(id), outputLen, name)
  fn.outputLen = outputLen
  fn.blockLen = blockLen
  return Object.freeze(fn)
}

const sha256 = hashFunction(1, 'sha256', 32, 64)
const sha512 = hashFunction(2, 'sha512', 64, 128)
const sha3_256 = hashFunction(3, 'sha3_256', 32, 136)
const sha3_512 = hashFunction(4, 'sha3_512', 64, 72)
const keccak_256 = hashFunction(5, 'keccak_256', 32, 136)

const BLAKE3_MAX_OUTPUT = 2 ** 30

function blake3State(opts) {
  const { key, context } = opts
  if (key !== undefined && context !== undefined) {
    throw rangeError('blake3: key and context are exclusive modes', 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
  }
  if (key !== undefined) return native.NativeHasher.blake3Keyed(bytesOfLength(key, 32, 'key'))
  if (context !== undefined) return native.NativeHasher.blake3DeriveKey(textOrBytes(context, 'context'))
  return null
}

function blake3DkLen(opts) {
  return opts.dkLen === undefined ? 32 : integer(opts.dkLen, 'dkLen', 1, BLAKE3_MAX_OUTPUT, 'ERR_GHOSTKIT_CRYPTO_LENGTH')
}

const blake3 = function blake3(data, opts) {
  bytes(data, 'data')
  opts = options(opts, 'options')
  const out = new Uint8Array(blake3DkLen(opts))
  const state = blake3State(opts)
  if (state === null) {
    check(native.hashInto(6, data, out), 'blake3')
  } else {
    check(state.update(data), 'blake3')
    check(state.digestInto(out), 'blake3')
  }
  return out
}
blake3.create = (opts) => {
  opts = options(opts, 'options')
  const dkLen = blake3DkLen(opts)
  return new Hash(constructing, blake3State(opts) ?? native.NativeHasher.create(6), dkLen, 'blake3')
}
blake3.outputLen = 32
blake3.blockLen = 64
Object.freeze(blake3)

// --- MAC / KDF --------------------------------------------------------------------------

const MAC_HASHES = { sha256: [1, 32], sha512: [2, 64] }

function macHash(name) {
  if (typeof name !== 'string') throw typeError(`hash must be a string ('sha256' or 'sha512'), got ${describe(name)}`)
  const entry = MAC_HASHES[name]
  if (entry === undefined) {
    throw rangeError(`hash must be 'sha256' or 'sha512', got ${String(name)}`, 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
  }
  return entry
}

function hmac(hash, key, message) {
  const [id, outputLen] = macHash(hash)
  bytes(key, 'key')
  bytes(message, 'message')
  const out = scratch(0, outputLen)
  const stagedKey = stage(key, 1)
  const status = native.hmacInto(id, stagedKey, stage(message, 2), out)
  wipe(stagedKey, key)
  check(status, 'hmac')
  return takeSecret(out)
}

function hkdf(hash, ikm, salt, info, length) {
  const [id, outputLen] = macHash(hash)
  bytes(ikm, 'ikm')
  integer(length, 'length', 1, 255 * outputLen, 'ERR_GHOSTKIT_CRYPTO_PARAMS')
  const out = new Uint8Array(length)
  check(native.hkdfInto(id, ikm, optionalBytes(salt, 'salt'), optionalBytes(info, 'info'), out), 'hkdf')
  return out
}

const MAX_DERIVED_LEN = 2 ** 20

function pbkdf2Args(hash, password, salt, opts) {
  const [id] = macHash(hash)
  bytes(password, 'password')
  bytes(salt, 'salt')
  opts = options(opts, 'options')
  const c = integer(opts.c, 'options.c', 1, 2 ** 32 - 1, 'ERR_GHOSTKIT_CRYPTO_PARAMS')
  const dkLen = integer(opts.dkLen, 'options.dkLen', 1, MAX_DERIVED_LEN, 'ERR_GHOSTKIT_CRYPTO_PARAMS')
  return [id, c, dkLen]
}

function pbkdf2Sync(hash, password, salt, opts) {
  const [id, c, dkLen] = pbkdf2Args(hash, password, salt, opts)
  const out = new Uint8Array(dkLen)
  check(native.pbkdf2Into(id, password, salt, c, out), 'pbkdf2')
  return out
}

function fromTask(result, what) {
  if (typeof result === 'number') throw fromStatus(result, what)
  return new Uint8Array(result.buffer, result.byteOffset, result.length)
}

async function pbkdf2(hash, password, salt, opts) {
  const [id, c, dkLen] = pbkdf2Args(hash, password, salt, opts)
  return fromTask(await native.pbkdf2Async(id, password, salt, c, dkLen), 'pbkdf2')
}

function argon2Args(password, salt, opts) {
  bytes(password, 'password')
  bytes(salt, 'salt')
  if (salt.length < 8) {
    throw rangeError(`salt must be at least 8 bytes, got ${salt.length}`, 'ERR_GHOSTKIT_CRYPTO_LENGTH')
  }
  opts = options(opts, 'options')
  const p = opts.p === undefined ? 1 : integer(opts.p, 'options.p', 1, 255, 'ERR_GHOSTKIT_CRYPTO_PARAMS')
  const t = integer(opts.t, 'options.t', 1, 2 ** 32 - 1, 'ERR_GHOSTKIT_CRYPTO_PARAMS')
  const m = integer(opts.m, 'options.m', 8 * p, 4 * 1024 * 1024, 'ERR_GHOSTKIT_CRYPTO_PARAMS')
  const dkLen = opts.dkLen === undefined ? 32 : integer(opts.dkLen, 'options.dkLen', 4, MAX_DERIVED_LEN, 'ERR_GHOSTKIT_CRYPTO_PARAMS')
  return [t, m, p, dkLen]
}

function argon2idSync(password, salt, opts) {
  const [t, m, p, dkLen] = argon2Args(password, salt, opts)
  const out = new Uint8Array(dkLen)
  check(native.argon2idInto(password, salt, t, m, p, out), 'argon2id')
  return out
}

async function argon2id(password, salt, opts) {
  const [t, m, p, dkLen] = argon2Args(password, salt, opts)
  return fromTask(await native.argon2idAsync(password, salt, t, m, p, dkLen), 'argon2id')
}

// --- AEAD -------------------------------------------------------------------------------

function aeadFunctions(id, name, keyLength, nonceLength) {
  const what = (op) => `${name}.${op}`
  function validate(key, nonce, data, dataName, aad) {
    bytesOfLength(key, keyLength, 'key')
    bytesOfLength(nonce, nonceLength, 'nonce')
    bytes(data, dataName)
    return optionalBytes(aad, 'aad')
  }
  return Object.freeze({
    keyLength,
    nonceLength,
    tagLength: 16,
    seal(key, nonce, plaintext, aad) {
      aad = validate(key, nonce, plaintext, 'plaintext', aad)
      const out = output(plaintext.length + 16)
      const stagedKey = stage(key, 1)
      const status = native.aeadSealInto(id, stagedKey, stage(nonce, 2), stage(plaintext, 3), aad, out)
      wipe(stagedKey, key)
      check(status, what('seal'))
      return out.length <= SLOT_BYTES ? out.slice() : out
    },
    open(key, nonce, sealed, aad) {
      aad = validate(key, nonce, sealed, 'sealed', aad)
      if (sealed.length < 16) {
        throw rangeError(`sealed must be at least 16 bytes (the tag), got ${sealed.length}`, 'ERR_GHOSTKIT_CRYPTO_LENGTH')
      }
      const out = output(sealed.length - 16)
      const stagedKey = stage(key, 1)
      const status = native.aeadOpenInto(id, stagedKey, stage(nonce, 2), stage(sealed, 3), aad, out)
      wipe(stagedKey, key)
      check(status, what('open'))
      return out.length <= SLOT_BYTES ? takeSecret(out) : out
    },
  })
}

const aes128gcm = aeadFunctions(1, 'aes128gcm', 16, 12)
const aes256gcm = aeadFunctions(2, 'aes256gcm', 32, 12)
const chacha20poly1305 = aeadFunctions(3, 'chacha20poly1305', 32, 12)
const xchacha20poly1305 = aeadFunctions(4, 'xchacha20poly1305', 32, 24)

// --- Ed25519 ----------------------------------------------------------------------------

const ed25519 = Object.freeze({
  keygen(seed) {
    const secretKey = seed === undefined ? randomBytes(32) : bytesOfLength(seed, 32, 'seed').slice()
    return { secretKey, publicKey: ed25519.getPublicKey(secretKey) }
  },
  getPublicKey(secretKey) {
    const out = scratch(0, 32)
    const status = withSecret(
      secretKey,
      'ed25519',
      (handle) => handle.publicKeyInto(out),
      (secret) => native.ed25519PublicKeyInto(secret, out),
    )
    check(status, 'ed25519.getPublicKey')
    return out.slice()
  },
  sign(message, secretKey) {
    bytes(message, 'message')
    const out = scratch(0, 64)
    const staged = stage(message, 2)
    const status = withSecret(
      secretKey,
      'ed25519',
      (handle) => native.ed25519SignKeyInto(handle, staged, out),
      (seed) => native.ed25519SignInto(seed, staged, out),
    )
    check(status, 'ed25519.sign')
    return out.slice()
  },
  verify(signature, message, publicKey) {
    bytes(signature, 'signature')
    bytes(message, 'message')
    bytesOfLength(publicKey, 32, 'public key')
    return signature.length === 64 && native.ed25519Verify(stage(signature, 1), stage(message, 2), stage(publicKey, 3))
  },
})

// --- secp256k1 --------------------------------------------------------------------------

function publicKeyBytes(publicKey) {
  bytes(publicKey, 'public key')
  if (publicKey.length !== 33 && publicKey.length !== 65) {
    throw rangeError(`public key must be 33 (compressed) or 65 (uncompressed) bytes, got ${publicKey.length}`, 'ERR_GHOSTKIT_CRYPTO_LENGTH')
  }
  return publicKey
}

const FORMATS = ['compact', 'recovered', 'der']

function signatureFormat(format) {
  if (format !== undefined && typeof format !== 'string') throw typeError(`format must be a string, got ${describe(format)}`)
  if (format !== undefined && !FORMATS.includes(format)) {
    throw rangeError(`format must be one of ${FORMATS.join(', ')}, got ${String(format)}`, 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
  }
  return format
}

function recoveryId(v) {
  if (v <= 3) return v
  if (v >= 27 && v <= 30) return v - 27
  throw new CryptoError(`signature: recovery byte v must be 0..3 or 27..30, got ${v}`, 'ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE')
}

/** The compact r‖s of a signature in `format`, or null when it cannot be one. */
function compactOf(signature, format) {
  if (format === 'der') {
    const out = new Uint8Array(64)
    return native.secp256k1SignatureFromDerInto(signature, out) < 0 ? null : out
  }
  if (signature.length === 64 && format !== 'recovered') return signature
  if (signature.length === 65 && format !== 'compact') return signature.subarray(0, 64)
  return null
}

const secp256k1 = Object.freeze({
  keygen(seed) {
    if (seed !== undefined) {
      bytesOfLength(seed, 32, 'seed')
      return { secretKey: seed.slice(), publicKey: secp256k1.getPublicKey(seed) }
    }
    // A random 32-byte string is a valid scalar except with probability ~2^-128.
    for (;;) {
      const secretKey = randomBytes(32)
      if (secp256k1.isValidSecretKey(secretKey)) return { secretKey, publicKey: secp256k1.getPublicKey(secretKey) }
    }
  },
  getPublicKey(secretKey, compressed) {
    compressed = boolean(compressed, 'compressed', true)
    const out = scratch(0, compressed ? 33 : 65)
    const status = withSecret(
      secretKey,
      'secp256k1',
      (handle) => handle.publicKeyInto(out),
      (secret) => native.secp256k1PublicKeyInto(secret, out),
    )
    check(status, 'secp256k1.getPublicKey')
    return out.slice()
  },
  sign(digest, secretKey, opts) {
    bytesOfLength(digest, 32, 'digest')
    opts = options(opts, 'options')
    const format = signatureFormat(opts.format) ?? 'compact'
    let extra = opts.extraEntropy
    if (extra === true) extra = randomBytes(32)
    else if (extra === undefined || extra === false) extra = undefined
    else bytesOfLength(extra, 32, 'extraEntropy')
    const out = scratch(0, 64)
    const stagedDigest = stage(digest, 2)
    const stagedExtra = extra === undefined ? undefined : stage(extra, 3)
    const status = withSecret(
      secretKey,
      'secp256k1',
      (handle) => native.secp256k1SignKeyInto(handle, stagedDigest, stagedExtra, out),
      (secret) => native.secp256k1SignInto(secret, stagedDigest, stagedExtra, out),
    )
    if (stagedExtra !== undefined) wipe(stagedExtra, extra)
    const recid = check(status, 'secp256k1.sign')
    if (format === 'der') return new Uint8Array(native.secp256k1SignatureToDer(out))
    if (format === 'compact') return out.slice()
    const recovered = new Uint8Array(65)
    recovered.set(out)
    recovered[64] = recid
    return recovered
  },
  verify(signature, digest, publicKey, opts) {
    bytes(signature, 'signature')
    bytesOfLength(digest, 32, 'digest')
    publicKeyBytes(publicKey)
    opts = options(opts, 'options')
    const lowS = boolean(opts.lowS, 'options.lowS', true)
    const compact = compactOf(signature, signatureFormat(opts.format))
    if (compact === null) return false
    const status = native.secp256k1Verify(stage(publicKey, 1), stage(digest, 2), stage(compact, 3), !lowS)
    return check(status, 'secp256k1.verify') === 1
  },
  recoverPublicKey(signature, digest, compressed) {
    bytesOfLength(signature, 65, 'signature')
    bytesOfLength(digest, 32, 'digest')
    compressed = boolean(compressed, 'compressed', true)
    const out = scratch(0, compressed ? 33 : 65)
    const recid = recoveryId(signature[64])
    const status = native.secp256k1RecoverInto(stage(digest, 2), stage(signature.subarray(0, 64), 3), recid, out)
    check(status, 'secp256k1.recoverPublicKey')
    return out.slice()
  },
  getSharedSecret(secretKey, publicKey, compressed) {
    publicKeyBytes(publicKey)
    compressed = boolean(compressed, 'compressed', true)
    const out = scratch(0, compressed ? 33 : 65)
    const stagedPublic = stage(publicKey, 2)
    const status = withSecret(
      secretKey,
      'secp256k1',
      (handle) => native.secp256k1EcdhKeyInto(handle, stagedPublic, out),
      (secret) => native.secp256k1EcdhInto(secret, stagedPublic, out),
    )
    if (status < 0) out.fill(0)
    check(status, 'secp256k1.getSharedSecret')
    return takeSecret(out)
  },
  convertPublicKey(publicKey, compressed) {
    publicKeyBytes(publicKey)
    compressed = boolean(compressed, 'compressed', true)
    const out = new Uint8Array(compressed ? 33 : 65)
    check(native.secp256k1ConvertInto(publicKey, out), 'secp256k1.convertPublicKey')
    return out
  },
  isValidSecretKey(secretKey) {
    bytes(secretKey, 'secret key')
    if (secretKey.length !== 32) return false
    const secret = stage(secretKey, 1)
    const valid = native.secp256k1PublicKeyInto(secret, scratch(0, 33)) >= 0
    wipe(secret, secretKey)
    return valid
  },
  isValidPublicKey(publicKey) {
    bytes(publicKey, 'public key')
    if (publicKey.length !== 33 && publicKey.length !== 65) return false
    return native.secp256k1ConvertInto(stage(publicKey, 1), scratch(0, 33)) >= 0
  },
  signatureToDER(signature) {
    bytesOfLength(signature, 64, 'signature')
    return new Uint8Array(native.secp256k1SignatureToDer(signature))
  },
  signatureFromDER(der) {
    bytes(der, 'der')
    const out = new Uint8Array(64)
    check(native.secp256k1SignatureFromDerInto(der, out), 'secp256k1.signatureFromDER')
    return out
  },
})

// --- Ethereum ---------------------------------------------------------------------------

const eth = Object.freeze({
  address(publicKey) {
    publicKeyBytes(publicKey)
    const address = native.ethAddress(publicKey)
    if (typeof address === 'number') throw fromStatus(address, 'eth.address')
    return address
  },
  checksumAddress(address) {
    if (typeof address !== 'string') throw typeError(`address must be a string, got ${describe(address)}`)
    const checksummed = native.ethChecksumAddress(address)
    if (checksummed === null || checksummed === undefined) {
      throw rangeError(`not an Ethereum address (40 hex digits, valid EIP-55 checksum if mixed-case): ${JSON.stringify(address)}`, 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
    }
    return checksummed
  },
  hashMessage(message) {
    const data = textOrBytes(message, 'message')
    const out = scratch(0, 32)
    check(native.ethHashMessageInto(stage(data, 1), out), 'eth.hashMessage')
    return out.slice()
  },
  signMessage(message, secretKey) {
    const signature = secp256k1.sign(eth.hashMessage(message), secretKey, { format: 'recovered' })
    signature[64] += 27
    return signature
  },
  recoverAddress(message, signature) {
    const publicKey = secp256k1.recoverPublicKey(signature, eth.hashMessage(message), false)
    return eth.address(publicKey)
  },
})

// --- X25519 -----------------------------------------------------------------------------

const x25519 = Object.freeze({
  keygen(seed) {
    const secretKey = seed === undefined ? randomBytes(32) : bytesOfLength(seed, 32, 'seed').slice()
    return { secretKey, publicKey: x25519.getPublicKey(secretKey) }
  },
  getPublicKey(secretKey) {
    const out = scratch(0, 32)
    const status = withSecret(
      secretKey,
      'x25519',
      (handle) => handle.publicKeyInto(out),
      (secret) => native.x25519PublicKeyInto(secret, out),
    )
    check(status, 'x25519.getPublicKey')
    return out.slice()
  },
  getSharedSecret(secretKey, publicKey) {
    bytesOfLength(publicKey, 32, 'public key')
    const out = scratch(0, 32)
    const stagedPublic = stage(publicKey, 2)
    const status = withSecret(
      secretKey,
      'x25519',
      (handle) => native.x25519SharedKeyInto(handle, stagedPublic, out),
      (secret) => native.x25519SharedInto(secret, stagedPublic, out),
    )
    check(status, 'x25519.getSharedSecret')
    return takeSecret(out)
  },
})

module.exports = {
  CryptoError,
  cpuLevel,
  availableCpuLevels,
  SecretKey,
  ed25519,
  secp256k1,
  eth,
  x25519,
  sha256,
  sha512,
  sha3_256,
  sha3_512,
  keccak_256,
  blake3,
  hmac,
  hkdf,
  pbkdf2,
  pbkdf2Sync,
  argon2id,
  argon2idSync,
  aes128gcm,
  aes256gcm,
  chacha20poly1305,
  xchacha20poly1305,
  randomBytes,
  timingSafeEqual,
}
