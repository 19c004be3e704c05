//! The one error map of the napi layer.
//!
//! Crypto functions return an `i32` status instead of throwing: `0` (or a non-negative
//! result) on success, a negative code on failure. `lib/errors.js` turns a negative code
//! into the typed JS error (class and stable `code`), so the hot paths pay nothing for
//! exception machinery and every error is built in one place.

use ghostkit::crypto::Error;

/// Status of a successful call.
pub const OK: i32 = 0;
/// A `SecretKey` used after `dispose()`.
pub const DISPOSED: i32 = -10;
/// A digest requested twice from one streaming hash.
pub const HASH_FINISHED: i32 = -11;

/// The negative status of a core error (the same numbers as `zcrypto.h`).
pub fn status_of(error: Error) -> i32 {
    match error {
        Error::Length => -1,
        Error::InvalidKey => -2,
        Error::InvalidSignature => -3,
        Error::Auth => -4,
        Error::WeakKey => -5,
        Error::Params => -6,
        Error::NoMemory => -7,
        Error::Random => -8,
        Error::Internal => -9,
    }
}

/// `OK` or the status of the error.
pub fn status(result: Result<(), Error>) -> i32 {
    match result {
        Ok(()) => OK,
        Err(error) => status_of(error),
    }
}
