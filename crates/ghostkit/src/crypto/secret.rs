use std::fmt;

use super::{Error, raw_api};

/// Secret bytes that are zeroed (by the Zig library's `secure_zero`) when dropped.
pub struct SecretBytes<const N: usize>(Box<[u8; N]>);

impl<const N: usize> SecretBytes<N> {
    /// Copies `bytes` into a new secret; the caller's copy is theirs to clear.
    pub fn new(bytes: &[u8; N]) -> Self {
        SecretBytes(Box::new(*bytes))
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8; N] {
        &self.0
    }

    /// Zeroes the bytes now (dropping does the same).
    pub fn wipe(&mut self) {
        // SAFETY: the buffer is N valid, writable bytes.
        unsafe { (raw_api().secure_zero)(self.0.as_mut_ptr(), N) }
    }
}

impl<const N: usize> Drop for SecretBytes<N> {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes<{N}>(..)")
    }
}

/// Fills `out` from the operating system's CSPRNG.
pub fn random_bytes(out: &mut [u8]) -> Result<(), Error> {
    // SAFETY: `out` is valid for `out.len()` writable bytes.
    Error::check(unsafe { (raw_api().random_bytes)(out.as_mut_ptr(), out.len()) })
}

/// Compares two byte strings in time that depends only on their length.
///
/// Strings of different lengths are unequal (the length is not secret).
pub fn timing_safe_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // SAFETY: both are valid for `a.len()` readable bytes.
    unsafe { (raw_api().timing_safe_equal)(a.as_ptr(), b.as_ptr(), a.len()) == 1 }
}

/// A fresh random array.
pub(crate) fn random_array<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    random_bytes(&mut out)?;
    Ok(out)
}
