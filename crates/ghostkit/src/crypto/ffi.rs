//! The raw C ABI of `zig/include/zcrypto.h`, mirrored field for field.
//!
//! `header_contract` (tests/header_contract.rs) parses the header and checks that this
//! table has the same fields in the same order with the same parameter types, so the
//! two cannot drift. The Zig side is checked by the Zig compiler through translate-c.

#![allow(missing_docs)]

use std::ffi::{c_char, c_int, c_void};

pub const ZC_ABI_VERSION: u32 = 1;

pub const ZC_OK: c_int = 0;
pub const ZC_ERR_LENGTH: c_int = -1;
pub const ZC_ERR_INVALID_KEY: c_int = -2;
pub const ZC_ERR_INVALID_SIGNATURE: c_int = -3;
pub const ZC_ERR_AUTH: c_int = -4;
pub const ZC_ERR_WEAK_KEY: c_int = -5;
pub const ZC_ERR_PARAMS: c_int = -6;
pub const ZC_ERR_NOMEM: c_int = -7;
pub const ZC_ERR_RANDOM: c_int = -8;
pub const ZC_ERR_ALGORITHM: c_int = -9;

pub const ZC_SHA256: c_int = 1;
pub const ZC_SHA512: c_int = 2;
pub const ZC_SHA3_256: c_int = 3;
pub const ZC_SHA3_512: c_int = 4;
pub const ZC_KECCAK256: c_int = 5;
pub const ZC_BLAKE3: c_int = 6;

pub const ZC_AES_128_GCM: c_int = 1;
pub const ZC_AES_256_GCM: c_int = 2;
pub const ZC_CHACHA20_POLY1305: c_int = 3;
pub const ZC_XCHACHA20_POLY1305: c_int = 4;
pub const ZC_AEAD_TAG_LENGTH: usize = 16;

pub const ZC_HASH_STATE_ALIGN: usize = 64;

/// `struct zc_api`: one table of function pointers per CPU level.
#[repr(C)]
pub struct ZcApi {
    pub abi_version: u32,
    pub level: *const c_char,
    pub random_bytes: unsafe extern "C" fn(out: *mut u8, out_len: usize) -> c_int,
    pub timing_safe_equal: unsafe extern "C" fn(a: *const u8, b: *const u8, len: usize) -> c_int,
    pub secure_zero: unsafe extern "C" fn(buf: *mut u8, len: usize),
    pub hash_state_size: unsafe extern "C" fn(alg: c_int) -> usize,
    pub hash_init: unsafe extern "C" fn(alg: c_int, state: *mut c_void) -> c_int,
    pub blake3_init_keyed: unsafe extern "C" fn(state: *mut c_void, key: *const u8) -> c_int,
    pub blake3_init_derive_key:
        unsafe extern "C" fn(state: *mut c_void, context: *const u8, context_len: usize) -> c_int,
    pub hash_update: unsafe extern "C" fn(
        alg: c_int,
        state: *mut c_void,
        data: *const u8,
        data_len: usize,
    ) -> c_int,
    pub hash_final:
        unsafe extern "C" fn(alg: c_int, state: *mut c_void, out: *mut u8, out_len: usize) -> c_int,
    pub hash: unsafe extern "C" fn(
        alg: c_int,
        data: *const u8,
        data_len: usize,
        out: *mut u8,
        out_len: usize,
    ) -> c_int,
    pub hmac: unsafe extern "C" fn(
        alg: c_int,
        key: *const u8,
        key_len: usize,
        msg: *const u8,
        msg_len: usize,
        out: *mut u8,
        out_len: usize,
    ) -> c_int,
    pub hkdf: unsafe extern "C" fn(
        alg: c_int,
        ikm: *const u8,
        ikm_len: usize,
        salt: *const u8,
        salt_len: usize,
        info: *const u8,
        info_len: usize,
        out: *mut u8,
        out_len: usize,
    ) -> c_int,
    pub pbkdf2: unsafe extern "C" fn(
        alg: c_int,
        password: *const u8,
        password_len: usize,
        salt: *const u8,
        salt_len: usize,
        iterations: u32,
        out: *mut u8,
        out_len: usize,
    ) -> c_int,
    pub argon2id: unsafe extern "C" fn(
        password: *const u8,
        password_len: usize,
        salt: *const u8,
        salt_len: usize,
        t_cost: u32,
        m_cost_kib: u32,
        parallelism: u32,
        out: *mut u8,
        out_len: usize,
    ) -> c_int,
    pub aead_seal: unsafe extern "C" fn(
        alg: c_int,
        key: *const u8,
        key_len: usize,
        nonce: *const u8,
        nonce_len: usize,
        aad: *const u8,
        aad_len: usize,
        plaintext: *const u8,
        plaintext_len: usize,
        out: *mut u8,
    ) -> c_int,
    pub aead_open: unsafe extern "C" fn(
        alg: c_int,
        key: *const u8,
        key_len: usize,
        nonce: *const u8,
        nonce_len: usize,
        aad: *const u8,
        aad_len: usize,
        sealed: *const u8,
        sealed_len: usize,
        out: *mut u8,
    ) -> c_int,
    pub ed25519_public_key: unsafe extern "C" fn(seed: *const u8, public_key: *mut u8) -> c_int,
    pub ed25519_sign: unsafe extern "C" fn(
        secret_key: *const u8,
        msg: *const u8,
        msg_len: usize,
        signature: *mut u8,
    ) -> c_int,
    pub ed25519_verify: unsafe extern "C" fn(
        public_key: *const u8,
        msg: *const u8,
        msg_len: usize,
        signature: *const u8,
    ) -> c_int,
    pub secp256k1_public_key:
        unsafe extern "C" fn(secret_key: *const u8, out: *mut u8, out_len: usize) -> c_int,
    pub secp256k1_public_key_convert: unsafe extern "C" fn(
        public_key: *const u8,
        public_key_len: usize,
        out: *mut u8,
        out_len: usize,
    ) -> c_int,
    pub secp256k1_sign: unsafe extern "C" fn(
        secret_key: *const u8,
        digest: *const u8,
        extra_entropy: *const u8,
        signature: *mut u8,
        recovery_id: *mut u8,
    ) -> c_int,
    pub secp256k1_verify: unsafe extern "C" fn(
        public_key: *const u8,
        public_key_len: usize,
        digest: *const u8,
        signature: *const u8,
        allow_high_s: c_int,
    ) -> c_int,
    pub secp256k1_recover: unsafe extern "C" fn(
        digest: *const u8,
        signature: *const u8,
        recovery_id: c_int,
        out: *mut u8,
        out_len: usize,
    ) -> c_int,
    pub secp256k1_ecdh: unsafe extern "C" fn(
        secret_key: *const u8,
        public_key: *const u8,
        public_key_len: usize,
        out: *mut u8,
        out_len: usize,
    ) -> c_int,
    pub x25519_public_key:
        unsafe extern "C" fn(secret_key: *const u8, public_key: *mut u8) -> c_int,
    pub x25519_shared_secret:
        unsafe extern "C" fn(secret_key: *const u8, public_key: *const u8, out: *mut u8) -> c_int,
}

// SAFETY: the table is immutable static data in the Zig library; `level` points to a
// static NUL-terminated string.
unsafe impl Sync for ZcApi {}

unsafe extern "C" {
    #[cfg(zcrypto_level_baseline)]
    pub fn zcrypto_api_baseline() -> *const ZcApi;
    #[cfg(zcrypto_level_x86_64_v3)]
    pub fn zcrypto_api_x86_64_v3() -> *const ZcApi;
    #[cfg(zcrypto_level_x86_64_v4)]
    pub fn zcrypto_api_x86_64_v4() -> *const ZcApi;
}
