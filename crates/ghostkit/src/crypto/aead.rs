//! Authenticated encryption: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 and
//! XChaCha20-Poly1305. Sealed output is `ciphertext || 16-byte tag`.
//!
//! ```
//! use ghostkit::crypto::aead::Algorithm;
//!
//! let (key, nonce) = ([1u8; 32], [2u8; 24]);
//! let sealed = Algorithm::XChaCha20Poly1305.seal(&key, &nonce, b"secret", b"header").unwrap();
//! let opened = Algorithm::XChaCha20Poly1305.open(&key, &nonce, &sealed, b"header").unwrap();
//! assert_eq!(opened, b"secret");
//! ```

use std::ffi::c_int;

use super::{Error, ffi, raw_api};

/// The tag length of every AEAD here.
pub const TAG_LEN: usize = ffi::ZC_AEAD_TAG_LENGTH;

/// An AEAD algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// AES-128-GCM: 16-byte key, 12-byte nonce.
    Aes128Gcm,
    /// AES-256-GCM: 32-byte key, 12-byte nonce.
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 8439): 32-byte key, 12-byte nonce.
    ChaCha20Poly1305,
    /// XChaCha20-Poly1305: 32-byte key, 24-byte nonce (random nonces are safe).
    XChaCha20Poly1305,
}

impl Algorithm {
    fn id(self) -> c_int {
        match self {
            Algorithm::Aes128Gcm => ffi::ZC_AES_128_GCM,
            Algorithm::Aes256Gcm => ffi::ZC_AES_256_GCM,
            Algorithm::ChaCha20Poly1305 => ffi::ZC_CHACHA20_POLY1305,
            Algorithm::XChaCha20Poly1305 => ffi::ZC_XCHACHA20_POLY1305,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Algorithm::Aes128Gcm => 16,
            _ => 32,
        }
    }

    /// Nonce length in bytes.
    pub fn nonce_len(self) -> usize {
        match self {
            Algorithm::XChaCha20Poly1305 => 24,
            _ => 12,
        }
    }

    fn check_sizes(self, key: &[u8], nonce: &[u8]) -> Result<(), Error> {
        if key.len() == self.key_len() && nonce.len() == self.nonce_len() {
            Ok(())
        } else {
            Err(Error::Length)
        }
    }

    /// Encrypts into `out`, which must be `plaintext.len() + TAG_LEN` bytes.
    pub fn seal_into(
        self,
        key: &[u8],
        nonce: &[u8],
        plaintext: &[u8],
        aad: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        self.check_sizes(key, nonce)?;
        if out.len() != plaintext.len() + TAG_LEN {
            return Err(Error::Length);
        }
        // SAFETY: pointers are valid for the lengths given; out is exactly sized.
        Error::check(unsafe {
            (raw_api().aead_seal)(
                self.id(),
                key.as_ptr(),
                key.len(),
                nonce.as_ptr(),
                nonce.len(),
                aad.as_ptr(),
                aad.len(),
                plaintext.as_ptr(),
                plaintext.len(),
                out.as_mut_ptr(),
            )
        })
    }

    /// Encrypts `plaintext`, returning `ciphertext || tag`.
    pub fn seal(
        self,
        key: &[u8],
        nonce: &[u8],
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let mut out = vec![0u8; plaintext.len() + TAG_LEN];
        self.seal_into(key, nonce, plaintext, aad, &mut out)?;
        Ok(out)
    }

    /// Decrypts `sealed` into `out` (`sealed.len() - TAG_LEN` bytes); on a bad tag
    /// `out` is zeroed and [`Error::Auth`] returned.
    pub fn open_into(
        self,
        key: &[u8],
        nonce: &[u8],
        sealed: &[u8],
        aad: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        self.check_sizes(key, nonce)?;
        if sealed.len() < TAG_LEN || out.len() != sealed.len() - TAG_LEN {
            return Err(Error::Length);
        }
        // SAFETY: pointers are valid for the lengths given; out is exactly sized.
        Error::check(unsafe {
            (raw_api().aead_open)(
                self.id(),
                key.as_ptr(),
                key.len(),
                nonce.as_ptr(),
                nonce.len(),
                aad.as_ptr(),
                aad.len(),
                sealed.as_ptr(),
                sealed.len(),
                out.as_mut_ptr(),
            )
        })
    }

    /// Decrypts and authenticates `ciphertext || tag`.
    pub fn open(
        self,
        key: &[u8],
        nonce: &[u8],
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, Error> {
        if sealed.len() < TAG_LEN {
            return Err(Error::Length);
        }
        let mut out = vec![0u8; sealed.len() - TAG_LEN];
        self.open_into(key, nonce, sealed, aad, &mut out)?;
        Ok(out)
    }
}
