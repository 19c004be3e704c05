//! secp256k1 ECDSA as Bitcoin and Ethereum use it: RFC 6979 deterministic nonces (with
//! optional extra entropy, as libsecp256k1 mixes it in), low-S signatures, recovery ids,
//! SEC1 public keys, and ECDH.
//!
//! ```
//! use ghostkit::crypto::{hash, secp256k1};
//!
//! let secret = [0x11u8; 32];
//! let digest = hash::sha256(b"pay alice 1 GHOST");
//! let signed = secp256k1::sign(&secret, &digest, None).unwrap();
//! let public = secp256k1::public_key(&secret, true).unwrap();
//! assert!(secp256k1::verify(&public, &digest, &signed.signature, false).unwrap());
//! let recovered = secp256k1::recover(&digest, &signed.signature, signed.recovery_id, true).unwrap();
//! assert_eq!(recovered, public);
//! ```

use super::{Error, raw_api};

/// Length of a compressed SEC1 public key.
pub const COMPRESSED_LEN: usize = 33;
/// Length of an uncompressed SEC1 public key.
pub const UNCOMPRESSED_LEN: usize = 65;

fn public_len(compressed: bool) -> usize {
    if compressed {
        COMPRESSED_LEN
    } else {
        UNCOMPRESSED_LEN
    }
}

/// A compact signature (`r || s`, low-S) with its recovery id (0..=3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoverableSignature {
    /// `r || s`, 32 bytes each, big-endian.
    pub signature: [u8; 64],
    /// The recovery id of this (low-S) signature.
    pub recovery_id: u8,
}

/// The SEC1 public key of a secret key (0 < key < n).
pub fn public_key(secret_key: &[u8; 32], compressed: bool) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; public_len(compressed)];
    // SAFETY: 32-byte input; out valid for its length.
    Error::check(unsafe {
        (raw_api().secp256k1_public_key)(secret_key.as_ptr(), out.as_mut_ptr(), out.len())
    })?;
    Ok(out)
}

/// Whether `secret_key` is a valid scalar (0 < key < n).
pub fn is_valid_secret_key(secret_key: &[u8; 32]) -> bool {
    public_key(secret_key, true).is_ok()
}

/// Validates a SEC1 public key (33 or 65 bytes) and re-encodes it.
pub fn convert_public_key(public_key: &[u8], compressed: bool) -> Result<Vec<u8>, Error> {
    if public_key.len() != COMPRESSED_LEN && public_key.len() != UNCOMPRESSED_LEN {
        return Err(Error::Length);
    }
    let mut out = vec![0u8; public_len(compressed)];
    // SAFETY: pointers valid for the lengths given.
    Error::check(unsafe {
        (raw_api().secp256k1_public_key_convert)(
            public_key.as_ptr(),
            public_key.len(),
            out.as_mut_ptr(),
            out.len(),
        )
    })?;
    Ok(out)
}

/// Signs a 32-byte digest. `extra_entropy` is mixed into the RFC 6979 nonce.
pub fn sign(
    secret_key: &[u8; 32],
    digest: &[u8; 32],
    extra_entropy: Option<&[u8; 32]>,
) -> Result<RecoverableSignature, Error> {
    let mut signature = [0u8; 64];
    let mut recovery_id = 0u8;
    let extra = extra_entropy.map_or(std::ptr::null(), |e| e.as_ptr());
    // SAFETY: fixed-size inputs and outputs; extra is NULL or 32 bytes.
    Error::check(unsafe {
        (raw_api().secp256k1_sign)(
            secret_key.as_ptr(),
            digest.as_ptr(),
            extra,
            signature.as_mut_ptr(),
            &mut recovery_id,
        )
    })?;
    Ok(RecoverableSignature {
        signature,
        recovery_id,
    })
}

/// Verifies a compact signature. `Ok(false)` for a signature that does not verify
/// (including high-S unless `allow_high_s`); `Err` for a malformed public key.
pub fn verify(
    public_key: &[u8],
    digest: &[u8; 32],
    signature: &[u8; 64],
    allow_high_s: bool,
) -> Result<bool, Error> {
    if public_key.len() != COMPRESSED_LEN && public_key.len() != UNCOMPRESSED_LEN {
        return Err(Error::Length);
    }
    // SAFETY: pointers valid for the lengths given.
    let status = unsafe {
        (raw_api().secp256k1_verify)(
            public_key.as_ptr(),
            public_key.len(),
            digest.as_ptr(),
            signature.as_ptr(),
            i32::from(allow_high_s),
        )
    };
    match Error::check(status) {
        Ok(()) => Ok(true),
        Err(Error::InvalidSignature) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Recovers the signer's public key from a compact signature and recovery id (0..=3).
pub fn recover(
    digest: &[u8; 32],
    signature: &[u8; 64],
    recovery_id: u8,
    compressed: bool,
) -> Result<Vec<u8>, Error> {
    if recovery_id > 3 {
        return Err(Error::InvalidSignature);
    }
    let mut out = vec![0u8; public_len(compressed)];
    // SAFETY: fixed-size inputs; out valid for its length.
    Error::check(unsafe {
        (raw_api().secp256k1_recover)(
            digest.as_ptr(),
            signature.as_ptr(),
            i32::from(recovery_id),
            out.as_mut_ptr(),
            out.len(),
        )
    })?;
    Ok(out)
}

/// The shape of an ECDH result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedSecretFormat {
    /// The x coordinate (32 bytes).
    XOnly,
    /// The shared point, compressed (33 bytes).
    Compressed,
    /// The shared point, uncompressed (65 bytes).
    Uncompressed,
}

/// ECDH: `secret_key × public_key`.
pub fn ecdh(
    secret_key: &[u8; 32],
    public_key: &[u8],
    format: SharedSecretFormat,
) -> Result<Vec<u8>, Error> {
    if public_key.len() != COMPRESSED_LEN && public_key.len() != UNCOMPRESSED_LEN {
        return Err(Error::Length);
    }
    let len = match format {
        SharedSecretFormat::XOnly => 32,
        SharedSecretFormat::Compressed => COMPRESSED_LEN,
        SharedSecretFormat::Uncompressed => UNCOMPRESSED_LEN,
    };
    let mut out = vec![0u8; len];
    // SAFETY: pointers valid for the lengths given.
    Error::check(unsafe {
        (raw_api().secp256k1_ecdh)(
            secret_key.as_ptr(),
            public_key.as_ptr(),
            public_key.len(),
            out.as_mut_ptr(),
            out.len(),
        )
    })?;
    Ok(out)
}
