//! X25519 key agreement (RFC 7748).
//!
//! ```
//! use ghostkit::crypto::x25519;
//!
//! let (alice, bob) = ([1u8; 32], [2u8; 32]);
//! let shared_a = x25519::shared_secret(&alice, &x25519::public_key(&bob).unwrap()).unwrap();
//! let shared_b = x25519::shared_secret(&bob, &x25519::public_key(&alice).unwrap()).unwrap();
//! assert_eq!(shared_a, shared_b);
//! ```

use super::{Error, raw_api};

/// The public key of a 32-byte secret key.
pub fn public_key(secret_key: &[u8; 32]) -> Result<[u8; 32], Error> {
    let mut public = [0u8; 32];
    // SAFETY: 32-byte input and output.
    Error::check(unsafe {
        (raw_api().x25519_public_key)(secret_key.as_ptr(), public.as_mut_ptr())
    })?;
    Ok(public)
}

/// The shared secret; [`Error::WeakKey`] when it is all zeros (a low-order public key).
pub fn shared_secret(secret_key: &[u8; 32], public_key: &[u8; 32]) -> Result<[u8; 32], Error> {
    let mut shared = [0u8; 32];
    // SAFETY: 32-byte inputs and output.
    Error::check(unsafe {
        (raw_api().x25519_shared_secret)(
            secret_key.as_ptr(),
            public_key.as_ptr(),
            shared.as_mut_ptr(),
        )
    })?;
    Ok(shared)
}
