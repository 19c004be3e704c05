//! HMAC, HKDF (RFC 5869), PBKDF2 and Argon2id (RFC 9106).
//!
//! ```
//! use ghostkit::crypto::kdf::{self, MacHash};
//!
//! let okm = kdf::hkdf(MacHash::Sha256, b"input key", b"salt", b"info", 42).unwrap();
//! assert_eq!(okm.len(), 42);
//! let params = kdf::Argon2Params { t_cost: 1, m_cost_kib: 64, parallelism: 1 };
//! let key = kdf::argon2id(b"password", b"somesalt", params, 32).unwrap();
//! assert_eq!(key.len(), 32);
//! ```

use std::ffi::c_int;

use super::{Error, ffi, raw_api};

/// The hash under HMAC, HKDF and PBKDF2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacHash {
    /// SHA-256
    Sha256,
    /// SHA-512
    Sha512,
}

impl MacHash {
    fn id(self) -> c_int {
        match self {
            MacHash::Sha256 => ffi::ZC_SHA256,
            MacHash::Sha512 => ffi::ZC_SHA512,
        }
    }

    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            MacHash::Sha256 => 32,
            MacHash::Sha512 => 64,
        }
    }

    /// Parses `sha256` / `sha512`.
    pub fn from_name(name: &str) -> Option<MacHash> {
        match name {
            "sha256" => Some(MacHash::Sha256),
            "sha512" => Some(MacHash::Sha512),
            _ => None,
        }
    }
}

/// HMAC of `message` under `key`.
pub fn hmac(hash: MacHash, key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; hash.output_len()];
    // SAFETY: pointers are valid for the lengths given.
    Error::check(unsafe {
        (raw_api().hmac)(
            hash.id(),
            key.as_ptr(),
            key.len(),
            message.as_ptr(),
            message.len(),
            out.as_mut_ptr(),
            out.len(),
        )
    })
    .expect("hmac output length matches");
    out
}

/// The longest HKDF output for `hash` (255 blocks).
pub fn hkdf_max_len(hash: MacHash) -> usize {
    255 * hash.output_len()
}

/// HKDF extract-and-expand into `length` bytes (1 ..= [`hkdf_max_len`]).
pub fn hkdf(
    hash: MacHash,
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    length: usize,
) -> Result<Vec<u8>, Error> {
    if length == 0 || length > hkdf_max_len(hash) {
        return Err(Error::Length);
    }
    let mut out = vec![0u8; length];
    // SAFETY: pointers are valid for the lengths given.
    Error::check(unsafe {
        (raw_api().hkdf)(
            hash.id(),
            ikm.as_ptr(),
            ikm.len(),
            salt.as_ptr(),
            salt.len(),
            info.as_ptr(),
            info.len(),
            out.as_mut_ptr(),
            out.len(),
        )
    })?;
    Ok(out)
}

/// The largest PBKDF2 / Argon2id output this API produces (a bound, not a limit of
/// the algorithms: no caller needs more, and it keeps allocations bounded).
pub const MAX_DERIVED_LEN: usize = 1 << 20;

/// PBKDF2-HMAC with `iterations` (>= 1) into `length` bytes (1 ..= [`MAX_DERIVED_LEN`]).
/// Slow by design: call it off any latency-sensitive thread.
pub fn pbkdf2(
    hash: MacHash,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    length: usize,
) -> Result<Vec<u8>, Error> {
    if iterations == 0 {
        return Err(Error::Params);
    }
    if length == 0 || length > MAX_DERIVED_LEN {
        return Err(Error::Length);
    }
    let mut out = vec![0u8; length];
    // SAFETY: pointers are valid for the lengths given.
    Error::check(unsafe {
        (raw_api().pbkdf2)(
            hash.id(),
            password.as_ptr(),
            password.len(),
            salt.as_ptr(),
            salt.len(),
            iterations,
            out.as_mut_ptr(),
            out.len(),
        )
    })?;
    Ok(out)
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Passes over memory, >= 1.
    pub t_cost: u32,
    /// Memory in KiB, >= 8 × parallelism, <= 4 GiB.
    pub m_cost_kib: u32,
    /// Lanes, 1 ..= 255.
    pub parallelism: u32,
}

impl Argon2Params {
    /// Checks the ranges RFC 9106 and this API allow.
    pub fn validate(&self) -> Result<(), Error> {
        let lanes_ok = (1..=255).contains(&self.parallelism);
        let memory_ok = u64::from(self.m_cost_kib) >= 8 * u64::from(self.parallelism)
            && u64::from(self.m_cost_kib) <= 4 * 1024 * 1024;
        if self.t_cost >= 1 && lanes_ok && memory_ok {
            Ok(())
        } else {
            Err(Error::Params)
        }
    }
}

/// Argon2id (version 0x13). `salt` >= 8 bytes; `length` 4 ..= [`MAX_DERIVED_LEN`].
/// Allocates `m_cost_kib` KiB and runs on the calling thread.
pub fn argon2id(
    password: &[u8],
    salt: &[u8],
    params: Argon2Params,
    length: usize,
) -> Result<Vec<u8>, Error> {
    params.validate()?;
    if salt.len() < 8 || !(4..=MAX_DERIVED_LEN).contains(&length) {
        return Err(Error::Length);
    }
    let mut out = vec![0u8; length];
    // SAFETY: pointers are valid for the lengths given.
    Error::check(unsafe {
        (raw_api().argon2id)(
            password.as_ptr(),
            password.len(),
            salt.as_ptr(),
            salt.len(),
            params.t_cost,
            params.m_cost_kib,
            params.parallelism,
            out.as_mut_ptr(),
            out.len(),
        )
    })?;
    Ok(out)
}
