//! Ed25519 signatures (RFC 8032).
//!
//! ```
//! use ghostkit::crypto::ed25519::{SigningKey, verify};
//!
//! let key = SigningKey::generate().unwrap();
//! let signature = key.sign(b"message");
//! assert!(verify(&signature, b"message", &key.public_key()));
//! assert!(!verify(&signature, b"massage", &key.public_key()));
//! ```

use super::secret::random_array;
use super::{Error, SecretBytes, raw_api};

/// An Ed25519 secret key: the 32-byte seed and its public key, kept together so that
/// signing does not derive the public key again. Zeroed on drop.
#[derive(Debug)]
pub struct SigningKey {
    /// seed || public key
    secret: SecretBytes<64>,
}

impl SigningKey {
    /// The key of a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Result<SigningKey, Error> {
        let mut both = [0u8; 64];
        both[..32].copy_from_slice(seed);
        let public = public_key(seed)?;
        both[32..].copy_from_slice(&public);
        let secret = SecretBytes::new(&both);
        // SAFETY: a 64-byte local array.
        unsafe { (raw_api().secure_zero)(both.as_mut_ptr(), both.len()) };
        Ok(SigningKey { secret })
    }

    /// A random key from the OS CSPRNG.
    pub fn generate() -> Result<SigningKey, Error> {
        let mut seed = SecretBytes::new(&random_array::<32>()?);
        let key = SigningKey::from_seed(seed.expose());
        seed.wipe();
        key
    }

    /// The 32-byte seed.
    pub fn seed(&self) -> &[u8; 32] {
        self.secret.expose()[..32].try_into().expect("32 bytes")
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.secret.expose()[32..].try_into().expect("32 bytes")
    }

    /// A 64-byte deterministic signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut signature = [0u8; 64];
        // SAFETY: the secret is 64 bytes, signature 64 bytes, message valid for its length.
        Error::check(unsafe {
            (raw_api().ed25519_sign)(
                self.secret.expose().as_ptr(),
                message.as_ptr(),
                message.len(),
                signature.as_mut_ptr(),
            )
        })
        .expect("signing with a validated key");
        signature
    }
}

/// The public key of a 32-byte seed.
pub fn public_key(seed: &[u8; 32]) -> Result<[u8; 32], Error> {
    let mut public = [0u8; 32];
    // SAFETY: 32-byte input and output.
    Error::check(unsafe { (raw_api().ed25519_public_key)(seed.as_ptr(), public.as_mut_ptr()) })?;
    Ok(public)
}

/// Whether `signature` is a valid signature of `message` by `public_key` (strict:
/// canonical encodings only).
pub fn verify(signature: &[u8; 64], message: &[u8], public_key: &[u8; 32]) -> bool {
    // SAFETY: fixed-size inputs; message valid for its length.
    let status = unsafe {
        (raw_api().ed25519_verify)(
            public_key.as_ptr(),
            message.as_ptr(),
            message.len(),
            signature.as_ptr(),
        )
    };
    Error::check(status).is_ok()
}
