//! ZCrypto: Zig `std.crypto` behind a C ABI (`zig/include/zcrypto.h`), with a safe API.
//!
//! The Zig library is built once per CPU level (x86-64 baseline, x86-64-v3 with AES and
//! PCLMUL, x86-64-v4 with VAES, VPCLMULQDQ and SHA); [`cpu_level`] tells which one this
//! process uses. The best level the CPU supports is chosen on first use; the
//! environment variable `GHOSTKIT_CPU_LEVEL` forces one (and it is an error to force a
//! level the CPU cannot run, or one not built).

pub mod aead;
mod api;
pub mod der;
pub mod ed25519;
mod error;
pub mod eth;
#[doc(hidden)]
pub mod ffi;
pub mod hash;
pub mod kdf;
pub mod secp256k1;
mod secret;
pub mod x25519;

pub use api::{CpuLevelError, available_cpu_levels, built_cpu_levels, cpu_level, raw_api};
pub use error::Error;
pub use secret::{SecretBytes, random_bytes, timing_safe_eq};
