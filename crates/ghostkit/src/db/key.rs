//! Turning what the caller holds (a passphrase, a raw key) into SQLCipher's `PRAGMA key`.

use std::fmt::Write;

use crate::crypto::kdf::{self, Argon2Params};

use super::Error;

/// Argon2id parameters for [`Key::Passphrase`]. Fixed: a file's key depends on them.
pub const ARGON2_PARAMS: Argon2Params = Argon2Params {
    t_cost: 2,
    m_cost_kib: 19456,
    parallelism: 1,
};

/// Bytes of salt: SQLCipher keeps its salt in the first 16 bytes of the file.
pub const SALT_LEN: usize = 16;

/// Bytes of a raw key (AES-256).
pub const RAW_KEY_LEN: usize = 32;

/// How a database is unlocked.
pub enum Key {
    /// A passphrase stretched with Argon2id ([`ARGON2_PARAMS`]), salted with the file's salt.
    Passphrase(Vec<u8>),
    /// A raw 32-byte key.
    Raw([u8; RAW_KEY_LEN]),
    /// Stock SQLCipher 4 passphrase (`PRAGMA key = '…'`, PBKDF2-HMAC-SHA512, 256,000 rounds).
    SqlcipherPassphrase(Vec<u8>),
}

impl Drop for Key {
    fn drop(&mut self) {
        match self {
            Key::Passphrase(p) | Key::SqlcipherPassphrase(p) => zero(p),
            Key::Raw(k) => zero(k),
        }
    }
}

/// Overwrites secret bytes in a way the optimiser keeps.
pub(crate) fn zero(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// The text of a `PRAGMA key`/`rekey` argument, zeroed on drop.
pub(crate) struct KeyPragma(pub(crate) String);

impl Drop for KeyPragma {
    fn drop(&mut self) {
        // SAFETY: zeroes are valid UTF-8, so the String stays valid.
        zero(unsafe { self.0.as_bytes_mut() });
    }
}

impl Key {
    /// Builds the pragma value for a file whose salt is `salt` (needed by `Passphrase`).
    pub(crate) fn pragma_value(&self, salt: &[u8; SALT_LEN]) -> Result<KeyPragma, Error> {
        let mut text = String::with_capacity(2 * (RAW_KEY_LEN + SALT_LEN) + 3);
        match self {
            Key::Passphrase(passphrase) => {
                let mut raw = kdf::argon2id(passphrase, salt, ARGON2_PARAMS, RAW_KEY_LEN)?;
                text.push_str("\"x'");
                hex_into(&mut text, &raw);
                hex_into(&mut text, salt);
                text.push_str("'\"");
                zero(&mut raw);
            }
            Key::Raw(raw) => {
                text.push_str("\"x'");
                hex_into(&mut text, raw);
                text.push_str("'\"");
            }
            Key::SqlcipherPassphrase(passphrase) => {
                let passphrase = std::str::from_utf8(passphrase).map_err(|_| {
                    Error::InvalidArgument("a SQLCipher passphrase must be UTF-8".into())
                })?;
                // Quotes doubled in place: no unzeroed intermediate copy.
                text.push('\'');
                for c in passphrase.chars() {
                    if c == '\'' {
                        text.push('\'');
                    }
                    text.push(c);
                }
                text.push('\'');
            }
        }
        Ok(KeyPragma(text))
    }
}

fn hex_into(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}
