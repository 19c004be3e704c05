'use strict'
// Typed errors with stable `code`s, and the one map from the native layer's negative
// status numbers (src/error.rs, zig/include/zcrypto.h) to them.

class CryptoError extends Error {
  constructor(message, code) {
    super(message)
    this.name = 'CryptoError'
    this.code = code
  }
}

function typeError(message, code = 'ERR_GHOSTKIT_INVALID_ARG_TYPE') {
  const error = new TypeError(message)
  error.code = code
  return error
}

function rangeError(message, code) {
  const error = new RangeError(message)
  error.code = code
  return error
}

const STATUS = {
  [-1]: (what) => rangeError(`${what}: a byte string has the wrong length`, 'ERR_GHOSTKIT_CRYPTO_LENGTH'),
  [-2]: (what) => new CryptoError(`${what}: the key is not valid`, 'ERR_GHOSTKIT_CRYPTO_INVALID_KEY'),
  [-3]: (what) => new CryptoError(`${what}: the signature is not valid`, 'ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE'),
  [-4]: (what) =>
    new CryptoError(
      `${what}: authentication failed (wrong key, nonce, associated data, or tampered ciphertext)`,
      'ERR_GHOSTKIT_CRYPTO_AUTH',
    ),
  [-5]: (what) =>
    new CryptoError(`${what}: the shared secret is all zeros (low-order public key)`, 'ERR_GHOSTKIT_CRYPTO_WEAK_KEY'),
  [-6]: (what) => rangeError(`${what}: parameters out of range`, 'ERR_GHOSTKIT_CRYPTO_PARAMS'),
  [-7]: (what) => new CryptoError(`${what}: out of memory`, 'ERR_GHOSTKIT_CRYPTO_NO_MEMORY'),
  [-8]: (what) => new CryptoError(`${what}: the OS random source failed`, 'ERR_GHOSTKIT_CRYPTO_RANDOM'),
  [-9]: (what) => new CryptoError(`${what}: internal error (mismatched build)`, 'ERR_GHOSTKIT_CRYPTO_INTERNAL'),
  [-10]: (what) => new CryptoError(`${what}: the SecretKey was disposed`, 'ERR_GHOSTKIT_CRYPTO_DISPOSED'),
  [-11]: (what) =>
    new CryptoError(`${what}: digest() was already called on this hash`, 'ERR_GHOSTKIT_CRYPTO_HASH_FINISHED'),
}

/** The error for a negative native status. */
function fromStatus(status, what) {
  const make = STATUS[status] ?? STATUS[-9]
  const error = make(what)
  Error.captureStackTrace?.(error, fromStatus)
  return error
}

/** Throws when `status` is negative; returns it otherwise. */
function check(status, what) {
  if (status < 0) throw fromStatus(status, what)
  return status
}

module.exports = { CryptoError, typeError, rangeError, fromStatus, check }
