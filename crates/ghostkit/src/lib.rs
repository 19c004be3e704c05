//! # ghostkit
//!
//! The GhostChain stack as a Rust library, the core under the `ghostkit` Node.js addon
//! and usable on its own from a Rust service.
//!
//! - [`crypto`] — ZCrypto: Ed25519, secp256k1 (Ethereum-grade), X25519, SHA-2, SHA-3,
//!   Keccak-256, BLAKE3, HMAC, HKDF, PBKDF2, Argon2id and AEADs, implemented in Zig
//!   (`std.crypto`) behind a C ABI and built for several CPU levels, picked at load.
//! - [`db`] — zqlite: encrypted embedded SQLite (SQLCipher 4 format) whose crypto
//!   provider is written in Zig on ZCrypto; Argon2id passphrase keys.
//! - [`llm`] — GhostLLM: a GGUF inference engine in Zig (llama and gemma3
//!   architectures, quantised kernels, tokenizers, sampling).
//!
//! ```
//! use ghostkit::crypto::{ed25519, hash};
//!
//! let key = ed25519::SigningKey::from_seed(&[7u8; 32]).unwrap();
//! let signature = key.sign(b"hello");
//! assert!(ed25519::verify(&signature, b"hello", &key.public_key()));
//! assert_eq!(hash::sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
//! ```

#![deny(missing_docs)]

pub mod crypto;
pub mod db;
pub mod llm;
pub mod quic;
