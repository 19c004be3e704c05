//! Ethereum helpers: addresses (EIP-55), `personal_sign` (EIP-191) and recovery,
//! byte-compatible with ethers.
//!
//! ```
//! use ghostkit::crypto::eth;
//!
//! let secret = [0x42u8; 32];
//! let signature = eth::sign_message(&secret, b"hello").unwrap();
//! let signer = eth::recover_address(b"hello", &signature).unwrap();
//! let public = ghostkit::crypto::secp256k1::public_key(&secret, false).unwrap();
//! assert_eq!(signer, eth::address(&public).unwrap());
//! ```

use super::hash::keccak256;
use super::{Error, secp256k1};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The 0x-prefixed, EIP-55 checksummed address of a SEC1 public key.
pub fn address(public_key: &[u8]) -> Result<String, Error> {
    let uncompressed = secp256k1::convert_public_key(public_key, false)?;
    let digest = keccak256(&uncompressed[1..]);
    Ok(checksum(&digest[12..]))
}

/// EIP-55 mixed-case encoding of 20 address bytes.
fn checksum(address: &[u8]) -> String {
    let lower: Vec<u8> = address
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .collect();
    let digest = keccak256(&lower);
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, &c) in lower.iter().enumerate() {
        let nibble = (digest[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 15;
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 {
            c.to_ascii_uppercase() as char
        } else {
            c as char
        });
    }
    out
}

/// The EIP-55 form of a 40-hex-digit address (with or without `0x`; `0X` is refused, as
/// ethers does). `None` for
/// anything else, and for a mixed-case address whose checksum is wrong (as ethers).
pub fn checksum_address(address: &str) -> Option<String> {
    let hex = address.strip_prefix("0x").unwrap_or(address);
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digits"))
        .collect();
    let checksummed = checksum(&bytes);
    let mixed_case =
        hex.bytes().any(|b| b.is_ascii_lowercase()) && hex.bytes().any(|b| b.is_ascii_uppercase());
    if mixed_case && checksummed[2..] != *hex {
        return None;
    }
    Some(checksummed)
}

/// The EIP-191 `personal_sign` hash:
/// `keccak256("\x19Ethereum Signed Message:\n" || len(message) || message)`.
pub fn hash_message(message: &[u8]) -> [u8; 32] {
    let prefix = format!("\x19Ethereum Signed Message:\n{}", message.len());
    let mut data = Vec::with_capacity(prefix.len() + message.len());
    data.extend_from_slice(prefix.as_bytes());
    data.extend_from_slice(message);
    keccak256(&data)
}

/// `personal_sign`: 65 bytes `r || s || v` with `v` = 27 or 28, as ethers'
/// `Wallet.signMessage` returns.
pub fn sign_message(secret_key: &[u8; 32], message: &[u8]) -> Result<[u8; 65], Error> {
    let signed = secp256k1::sign(secret_key, &hash_message(message), None)?;
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&signed.signature);
    out[64] = 27 + signed.recovery_id;
    Ok(out)
}

/// Normalises a recovery byte: 0..=3, or 27..=30 (Ethereum's legacy offset).
pub fn recovery_id_from_v(v: u8) -> Option<u8> {
    match v {
        0..=3 => Some(v),
        27..=30 => Some(v - 27),
        _ => None,
    }
}

/// The checksummed address that produced a `personal_sign` signature of `message`.
pub fn recover_address(message: &[u8], signature: &[u8; 65]) -> Result<String, Error> {
    let recovery_id = recovery_id_from_v(signature[64]).ok_or(Error::InvalidSignature)?;
    let compact: &[u8; 64] = signature[..64].try_into().expect("64 bytes");
    let public = secp256k1::recover(&hash_message(message), compact, recovery_id, false)?;
    address(&public)
}
