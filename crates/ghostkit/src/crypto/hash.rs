//! SHA-256, SHA-512, SHA3-256, SHA3-512, Keccak-256 (Ethereum's) and BLAKE3, one-shot
//! and streaming.
//!
//! ```
//! use ghostkit::crypto::hash::{Algorithm, Hasher};
//!
//! let mut hasher = Hasher::new(Algorithm::Sha256);
//! hasher.update(b"ab");
//! hasher.update(b"c");
//! assert_eq!(hasher.finalize(), ghostkit::crypto::hash::sha256(b"abc").to_vec());
//! ```

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::ffi::{c_int, c_void};
use std::ptr::NonNull;

use super::{Error, ffi, raw_api};

/// A hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-512 (FIPS 180-4).
    Sha512,
    /// SHA3-256 (FIPS 202).
    Sha3_256,
    /// SHA3-512 (FIPS 202).
    Sha3_512,
    /// Keccak-256 as Ethereum uses it (original Keccak padding).
    Keccak256,
    /// BLAKE3 (an XOF: any output length).
    Blake3,
}

impl Algorithm {
    pub(crate) fn id(self) -> c_int {
        match self {
            Algorithm::Sha256 => ffi::ZC_SHA256,
            Algorithm::Sha512 => ffi::ZC_SHA512,
            Algorithm::Sha3_256 => ffi::ZC_SHA3_256,
            Algorithm::Sha3_512 => ffi::ZC_SHA3_512,
            Algorithm::Keccak256 => ffi::ZC_KECCAK256,
            Algorithm::Blake3 => ffi::ZC_BLAKE3,
        }
    }

    /// The (default) digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Algorithm::Sha512 | Algorithm::Sha3_512 => 64,
            _ => 32,
        }
    }

    /// The block length in bytes.
    pub fn block_len(self) -> usize {
        match self {
            Algorithm::Sha256 | Algorithm::Blake3 => 64,
            Algorithm::Sha512 => 128,
            Algorithm::Sha3_256 | Algorithm::Keccak256 => 136,
            Algorithm::Sha3_512 => 72,
        }
    }

    /// Parses `sha256`, `sha512`, `sha3-256`/`sha3_256`, `sha3-512`/`sha3_512`,
    /// `keccak256`/`keccak_256`, `blake3`.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Some(match name {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            "sha3-256" | "sha3_256" => Algorithm::Sha3_256,
            "sha3-512" | "sha3_512" => Algorithm::Sha3_512,
            "keccak256" | "keccak_256" | "keccak-256" => Algorithm::Keccak256,
            "blake3" => Algorithm::Blake3,
            _ => return None,
        })
    }
}

/// Hashes `data` into `out`. `out` must be the digest length, or any non-zero
/// length for BLAKE3.
pub fn hash_into(algorithm: Algorithm, data: &[u8], out: &mut [u8]) -> Result<(), Error> {
    // SAFETY: pointers are valid for the lengths given.
    Error::check(unsafe {
        (raw_api().hash)(
            algorithm.id(),
            data.as_ptr(),
            data.len(),
            out.as_mut_ptr(),
            out.len(),
        )
    })
}

fn fixed<const N: usize>(algorithm: Algorithm, data: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    hash_into(algorithm, data, &mut out).expect("digest length matches the algorithm");
    out
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    fixed(Algorithm::Sha256, data)
}

/// SHA-512 of `data`.
pub fn sha512(data: &[u8]) -> [u8; 64] {
    fixed(Algorithm::Sha512, data)
}

/// SHA3-256 of `data`.
pub fn sha3_256(data: &[u8]) -> [u8; 32] {
    fixed(Algorithm::Sha3_256, data)
}

/// SHA3-512 of `data`.
pub fn sha3_512(data: &[u8]) -> [u8; 64] {
    fixed(Algorithm::Sha3_512, data)
}

/// Keccak-256 (Ethereum) of `data`.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    fixed(Algorithm::Keccak256, data)
}

/// BLAKE3 of `data`, 32 bytes.
pub fn blake3(data: &[u8]) -> [u8; 32] {
    fixed(Algorithm::Blake3, data)
}

/// A streaming hash state (the Zig state, in memory aligned as the ABI asks).
pub struct Hasher {
    algorithm: Algorithm,
    state: NonNull<u8>,
    layout: Layout,
}

// SAFETY: the state is plain bytes owned by this value.
unsafe impl Send for Hasher {}
// SAFETY: shared references only read the algorithm; all state access takes &mut self.
unsafe impl Sync for Hasher {}

impl Hasher {
    fn allocate(algorithm: Algorithm) -> Hasher {
        // SAFETY: a pure query.
        let size = unsafe { (raw_api().hash_state_size)(algorithm.id()) };
        assert!(size > 0, "zcrypto knows every Algorithm");
        let layout = Layout::from_size_align(size, ffi::ZC_HASH_STATE_ALIGN).expect("layout");
        // SAFETY: size is non-zero.
        let state =
            NonNull::new(unsafe { alloc(layout) }).unwrap_or_else(|| handle_alloc_error(layout));
        Hasher {
            algorithm,
            state,
            layout,
        }
    }

    fn state(&mut self) -> *mut c_void {
        self.state.as_ptr().cast()
    }

    /// A new state for `algorithm` (BLAKE3 in its plain mode).
    pub fn new(algorithm: Algorithm) -> Hasher {
        let mut hasher = Hasher::allocate(algorithm);
        // SAFETY: the state has hash_state_size bytes, aligned.
        Error::check(unsafe { (raw_api().hash_init)(algorithm.id(), hasher.state()) })
            .expect("init of a known algorithm");
        hasher
    }

    /// BLAKE3 in keyed mode.
    pub fn blake3_keyed(key: &[u8; 32]) -> Hasher {
        let mut hasher = Hasher::allocate(Algorithm::Blake3);
        // SAFETY: the state is sized for BLAKE3; key is 32 bytes.
        Error::check(unsafe { (raw_api().blake3_init_keyed)(hasher.state(), key.as_ptr()) })
            .expect("blake3 keyed init");
        hasher
    }

    /// BLAKE3 in derive-key mode with a context string.
    pub fn blake3_derive_key(context: &[u8]) -> Hasher {
        let mut hasher = Hasher::allocate(Algorithm::Blake3);
        // SAFETY: the state is sized for BLAKE3; context is valid for its length.
        Error::check(unsafe {
            (raw_api().blake3_init_derive_key)(hasher.state(), context.as_ptr(), context.len())
        })
        .expect("blake3 derive-key init");
        hasher
    }

    /// Bytes of native memory the state occupies.
    pub fn state_size(&self) -> usize {
        self.layout.size()
    }

    /// The algorithm of this state.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Absorbs `data`.
    pub fn update(&mut self, data: &[u8]) {
        let id = self.algorithm.id();
        // SAFETY: the state is initialised for this algorithm.
        Error::check(unsafe {
            (raw_api().hash_update)(id, self.state(), data.as_ptr(), data.len())
        })
        .expect("update of a known algorithm");
    }

    /// Writes the digest into `out` (the digest length, or any non-zero length for
    /// BLAKE3) and consumes the state.
    pub fn finalize_into(mut self, out: &mut [u8]) -> Result<(), Error> {
        let id = self.algorithm.id();
        // SAFETY: the state is initialised; out is valid for its length.
        Error::check(unsafe {
            (raw_api().hash_final)(id, self.state(), out.as_mut_ptr(), out.len())
        })
    }

    /// The digest at the algorithm's default length.
    pub fn finalize(self) -> Vec<u8> {
        let mut out = vec![0u8; self.algorithm.output_len()];
        self.finalize_into(&mut out).expect("default digest length");
        out
    }
}

impl Clone for Hasher {
    fn clone(&self) -> Hasher {
        let copy = Hasher::allocate(self.algorithm);
        // SAFETY: both states have the same layout; the ABI says states are plain bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.state.as_ptr(),
                copy.state.as_ptr(),
                self.layout.size(),
            )
        };
        copy
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        // A keyed BLAKE3 state holds its key: wipe every state before freeing it.
        // SAFETY: allocated with this layout in `allocate`.
        unsafe {
            (raw_api().secure_zero)(self.state.as_ptr(), self.layout.size());
            dealloc(self.state.as_ptr(), self.layout)
        }
    }
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("algorithm", &self.algorithm)
            .finish()
    }
}
