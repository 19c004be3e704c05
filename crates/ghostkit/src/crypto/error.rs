use std::ffi::c_int;
use std::fmt;

use super::ffi;

/// A ZCrypto failure. Each kind has a stable string [`code`](Error::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// A byte string has the wrong length.
    Length,
    /// A secret key, public key or curve point is not valid.
    InvalidKey,
    /// A signature is malformed, does not verify, or yields no key on recovery.
    InvalidSignature,
    /// AEAD authentication failed; no plaintext is returned.
    Auth,
    /// A key agreement produced an all-zero (or identity) shared secret.
    WeakKey,
    /// KDF parameters out of range.
    Params,
    /// Memory for a KDF could not be allocated.
    NoMemory,
    /// The operating system's random source failed.
    Random,
    /// The library answered with a status this side does not know (a build mismatch).
    Internal,
}

impl Error {
    /// The stable code surfaced to users (`ERR_GHOSTKIT_CRYPTO_*`).
    pub fn code(self) -> &'static str {
        match self {
            Error::Length => "ERR_GHOSTKIT_CRYPTO_LENGTH",
            Error::InvalidKey => "ERR_GHOSTKIT_CRYPTO_INVALID_KEY",
            Error::InvalidSignature => "ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE",
            Error::Auth => "ERR_GHOSTKIT_CRYPTO_AUTH",
            Error::WeakKey => "ERR_GHOSTKIT_CRYPTO_WEAK_KEY",
            Error::Params => "ERR_GHOSTKIT_CRYPTO_PARAMS",
            Error::NoMemory => "ERR_GHOSTKIT_CRYPTO_NO_MEMORY",
            Error::Random => "ERR_GHOSTKIT_CRYPTO_RANDOM",
            Error::Internal => "ERR_GHOSTKIT_CRYPTO_INTERNAL",
        }
    }

    /// Maps a `ZC_*` status code; `ZC_OK` is `Ok(())`.
    pub(crate) fn check(status: c_int) -> Result<(), Error> {
        match status {
            ffi::ZC_OK => Ok(()),
            ffi::ZC_ERR_LENGTH => Err(Error::Length),
            ffi::ZC_ERR_INVALID_KEY => Err(Error::InvalidKey),
            ffi::ZC_ERR_INVALID_SIGNATURE => Err(Error::InvalidSignature),
            ffi::ZC_ERR_AUTH => Err(Error::Auth),
            ffi::ZC_ERR_WEAK_KEY => Err(Error::WeakKey),
            ffi::ZC_ERR_PARAMS => Err(Error::Params),
            ffi::ZC_ERR_NOMEM => Err(Error::NoMemory),
            ffi::ZC_ERR_RANDOM => Err(Error::Random),
            // An unknown algorithm id or status can only come from a mismatched build.
            _ => Err(Error::Internal),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::Length => "a byte string has the wrong length",
            Error::InvalidKey => "the key is not valid",
            Error::InvalidSignature => "the signature is not valid",
            Error::Auth => {
                "authentication failed: the ciphertext, tag, key, nonce or associated data is wrong"
            }
            Error::WeakKey => "the shared secret is all zeros (a low-order public key)",
            Error::Params => "key-derivation parameters are out of range",
            Error::NoMemory => "out of memory for key derivation",
            Error::Random => "the operating system's random source failed",
            Error::Internal => "internal error: the Zig library and the Rust core disagree",
        };
        f.write_str(text)
    }
}

impl std::error::Error for Error {}
