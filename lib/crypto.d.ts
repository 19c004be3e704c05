/**
 * ghostkit/crypto — ZCrypto: Zig std.crypto behind a C ABI, in the style of @noble:
 * bytes in, bytes out. Every input that is bytes accepts any Uint8Array (Buffer too);
 * every output is a fresh Uint8Array.
 *
 * Errors (all carry a stable `code`):
 * - TypeError  `ERR_GHOSTKIT_INVALID_ARG_TYPE`  — an argument has the wrong type
 * - RangeError `ERR_GHOSTKIT_INVALID_ARG_VALUE` — an unknown option value (e.g. hash name)
 * - RangeError `ERR_GHOSTKIT_CRYPTO_LENGTH`     — a byte string has the wrong length
 * - RangeError `ERR_GHOSTKIT_CRYPTO_PARAMS`     — KDF parameters out of range
 * - CryptoError `ERR_GHOSTKIT_CRYPTO_INVALID_KEY`       — a key or point is not valid
 * - CryptoError `ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE` — malformed signature / DER, or no key recoverable
 * - CryptoError `ERR_GHOSTKIT_CRYPTO_AUTH`      — AEAD open failed (no plaintext returned)
 * - CryptoError `ERR_GHOSTKIT_CRYPTO_WEAK_KEY`  — an all-zero shared secret
 * - CryptoError `ERR_GHOSTKIT_CRYPTO_DISPOSED`  — a SecretKey used after dispose()
 * - CryptoError `ERR_GHOSTKIT_CRYPTO_HASH_FINISHED` — a streaming hash used after digest()
 * `verify` functions return false for a bad signature and never throw for it.
 */

export type Bytes = Uint8Array

/** Error class of the crypto module's non-argument failures. */
export class CryptoError extends Error {
  readonly code: string
}

/** Which ZCrypto build is in use: 'baseline' | 'x86_64_v3' | 'x86_64_v4'.
 *  Forced with the environment variable GHOSTKIT_CPU_LEVEL before the module loads. */
export const cpuLevel: string
/** The levels this CPU can run (for tests). */
export const availableCpuLevels: string[]

export type KeyAlgorithm = 'ed25519' | 'secp256k1' | 'x25519'

/** A secret key held in native memory; its bytes are zeroed on dispose(). */
export class SecretKey implements Disposable {
  /** Wraps a copy of `bytes` (32 bytes for every algorithm). The caller's array is not zeroed. */
  static from(algorithm: KeyAlgorithm, bytes: Bytes): SecretKey
  static generate(algorithm: KeyAlgorithm): SecretKey
  readonly algorithm: KeyAlgorithm
  /** Ed25519/X25519: 32 bytes; secp256k1: 33-byte compressed. */
  readonly publicKey: Uint8Array
  readonly disposed: boolean
  /** A copy of the 32 secret bytes. */
  export(): Uint8Array
  dispose(): void
  [Symbol.dispose](): void
}

export interface KeyPair { secretKey: Uint8Array; publicKey: Uint8Array }

export const ed25519: {
  /** Random, or from a 32-byte seed. */
  keygen(seed?: Bytes): KeyPair
  getPublicKey(secretKey: Bytes | SecretKey): Uint8Array
  /** 64-byte signature (RFC 8032, deterministic). */
  sign(message: Bytes, secretKey: Bytes | SecretKey): Uint8Array
  verify(signature: Bytes, message: Bytes, publicKey: Bytes): boolean
}

export type Secp256k1SignatureFormat = 'compact' | 'recovered' | 'der'

export interface Secp256k1SignOptions {
  /** true = 32 random bytes; or 32 bytes given. Mixed into the RFC 6979 nonce as libsecp256k1 does. */
  extraEntropy?: boolean | Bytes
  /** 'compact' (64 bytes r‖s, default), 'recovered' (65 bytes r‖s‖v, v = 0|1), 'der'. */
  format?: Secp256k1SignatureFormat
}

export interface Secp256k1VerifyOptions {
  /** Reject high-S signatures (default true). */
  lowS?: boolean
  /** Default: 'der' is never guessed; 64 bytes = compact, 65 = recovered. */
  format?: Secp256k1SignatureFormat
}

export const secp256k1: {
  /** secretKey: 32 bytes; publicKey: 33-byte compressed. */
  keygen(seed?: Bytes): KeyPair
  getPublicKey(secretKey: Bytes | SecretKey, compressed?: boolean): Uint8Array
  /** Sign a 32-byte digest (hash the message first). Always low-S. */
  sign(digest: Bytes, secretKey: Bytes | SecretKey, options?: Secp256k1SignOptions): Uint8Array
  verify(signature: Bytes, digest: Bytes, publicKey: Bytes, options?: Secp256k1VerifyOptions): boolean
  /** signature: 65 bytes r‖s‖v with v in 0..3 or 27..30. */
  recoverPublicKey(signature: Bytes, digest: Bytes, compressed?: boolean): Uint8Array
  /** ECDH: the shared point, 33 bytes compressed (default) or 65 uncompressed. */
  getSharedSecret(secretKey: Bytes | SecretKey, publicKey: Bytes, compressed?: boolean): Uint8Array
  /** Validate and re-encode a public key. */
  convertPublicKey(publicKey: Bytes, compressed?: boolean): Uint8Array
  isValidSecretKey(secretKey: Bytes): boolean
  isValidPublicKey(publicKey: Bytes): boolean
  /** Strict DER (X.690) <-> compact 64 bytes. */
  signatureToDER(signature: Bytes): Uint8Array
  signatureFromDER(der: Bytes): Uint8Array
}

export const eth: {
  /** 0x-prefixed EIP-55 checksummed address of a secp256k1 public key (33 or 65 bytes). */
  address(publicKey: Bytes): string
  /** EIP-55 checksum of a 40-hex-digit address (with or without 0x); throws on bad input. */
  checksumAddress(address: string): string
  /** EIP-191 personal_sign hash: keccak256("\x19Ethereum Signed Message:\n" + len + message). Strings are UTF-8. */
  hashMessage(message: Bytes | string): Uint8Array
  /** personal_sign: 65 bytes r‖s‖v with v = 27|28 (what ethers' signMessage returns). */
  signMessage(message: Bytes | string, secretKey: Bytes | SecretKey): Uint8Array
  /** The checksummed address that signed an EIP-191 message. */
  recoverAddress(message: Bytes | string, signature: Bytes): string
}

export const x25519: {
  keygen(seed?: Bytes): KeyPair
  getPublicKey(secretKey: Bytes | SecretKey): Uint8Array
  /** Throws ERR_GHOSTKIT_CRYPTO_WEAK_KEY on an all-zero result. */
  getSharedSecret(secretKey: Bytes | SecretKey, publicKey: Bytes): Uint8Array
}

/** A streaming hash, node:crypto / @noble habits. digest() may be called once: a second
 *  digest(), update() or clone() throws CryptoError ERR_GHOSTKIT_CRYPTO_HASH_FINISHED. */
export interface Hash {
  update(data: Bytes): this
  digest(): Uint8Array
  /** An independent copy of the current state. */
  clone(): Hash
}

export interface HashFunction {
  (data: Bytes): Uint8Array
  create(): Hash
  readonly outputLen: number
  readonly blockLen: number
}

export interface Blake3Options {
  /** Output length in bytes (default 32, any >= 1). */
  dkLen?: number
  /** Keyed mode: a 32-byte key. */
  key?: Bytes
  /** Derive-key mode: the context string (UTF-8) or bytes. */
  context?: string | Bytes
}

export const sha256: HashFunction
export const sha512: HashFunction
export const sha3_256: HashFunction
export const sha3_512: HashFunction
export const keccak_256: HashFunction
export const blake3: {
  (data: Bytes, options?: Blake3Options): Uint8Array
  create(options?: Blake3Options): Hash
  readonly outputLen: number
  readonly blockLen: number
}

export type HashName = 'sha256' | 'sha512'

export function hmac(hash: HashName, key: Bytes, message: Bytes): Uint8Array
/** RFC 5869. salt/info may be omitted. 1 <= length <= 255 * digest length (else RangeError ERR_GHOSTKIT_CRYPTO_PARAMS). */
export function hkdf(hash: HashName, ikm: Bytes, salt: Bytes | undefined, info: Bytes | undefined, length: number): Uint8Array

export interface Pbkdf2Options { c: number; dkLen: number }
/** Runs off the JS thread. */
export function pbkdf2(hash: HashName, password: Bytes, salt: Bytes, options: Pbkdf2Options): Promise<Uint8Array>
export function pbkdf2Sync(hash: HashName, password: Bytes, salt: Bytes, options: Pbkdf2Options): Uint8Array

export interface Argon2Options {
  /** iterations, >= 1 */
  t: number
  /** memory in KiB, >= 8 * p, <= 4 GiB */
  m: number
  /** parallelism (lanes), 1..255; default 1 */
  p?: number
  /** output length, >= 4; default 32 */
  dkLen?: number
}
/** Argon2id (RFC 9106). Runs off the JS thread. salt >= 8 bytes. */
export function argon2id(password: Bytes, salt: Bytes, options: Argon2Options): Promise<Uint8Array>
export function argon2idSync(password: Bytes, salt: Bytes, options: Argon2Options): Uint8Array

export interface Aead {
  readonly keyLength: number
  readonly nonceLength: number
  readonly tagLength: 16
  /** ciphertext ‖ tag */
  seal(key: Bytes, nonce: Bytes, plaintext: Bytes, aad?: Bytes): Uint8Array
  /** Throws CryptoError ERR_GHOSTKIT_CRYPTO_AUTH on a bad tag, and returns no plaintext. */
  open(key: Bytes, nonce: Bytes, sealed: Bytes, aad?: Bytes): Uint8Array
}
export const aes128gcm: Aead
export const aes256gcm: Aead
export const chacha20poly1305: Aead
export const xchacha20poly1305: Aead

export function randomBytes(length: number): Uint8Array
/** Constant-time; throws RangeError ERR_GHOSTKIT_CRYPTO_LENGTH when the lengths differ. */
export function timingSafeEqual(a: Bytes, b: Bytes): boolean
