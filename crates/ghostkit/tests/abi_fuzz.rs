//! Property tests of the raw C ABI: random lengths, random bytes and random algorithm
//! ids must give a status code (never a crash, never an out-of-bounds access), and the
//! statuses must be the ones the header promises. Buffers always have exactly the
//! length passed, so any out-of-bounds access would be the library's.

use ghostkit::crypto::ffi::*;
use ghostkit::crypto::raw_api;
use proptest::prelude::*;
use std::ptr;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn digest_len(alg: i32) -> Option<usize> {
    match alg {
        ZC_SHA256 | ZC_SHA3_256 | ZC_KECCAK256 => Some(32),
        ZC_SHA512 | ZC_SHA3_512 => Some(64),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn hash_lengths_and_ids(alg in -2i32..9, data in bytes(300), out_len in 0usize..130) {
        let api = raw_api();
        let mut out = vec![0u8; out_len];
        let status = unsafe { (api.hash)(alg, data.as_ptr(), data.len(), out.as_mut_ptr(), out.len()) };
        let expected = match (alg, digest_len(alg)) {
            (ZC_BLAKE3, _) if out_len >= 1 => ZC_OK,
            (ZC_BLAKE3, _) => ZC_ERR_LENGTH,
            (_, Some(len)) if len == out_len => ZC_OK,
            (_, Some(_)) => ZC_ERR_LENGTH,
            (_, None) => ZC_ERR_ALGORITHM,
        };
        prop_assert_eq!(status, expected);
    }

    #[test]
    fn mac_and_kdf_lengths(alg in -1i32..4, key in bytes(200), msg in bytes(200), out_len in 0usize..140, iterations in 0u32..3) {
        let api = raw_api();
        let mut out = vec![0u8; out_len];
        let hmac = unsafe { (api.hmac)(alg, key.as_ptr(), key.len(), msg.as_ptr(), msg.len(), out.as_mut_ptr(), out.len()) };
        let hkdf = unsafe {
            (api.hkdf)(alg, key.as_ptr(), key.len(), msg.as_ptr(), msg.len(), key.as_ptr(), key.len(), out.as_mut_ptr(), out.len())
        };
        let pbkdf2 = unsafe {
            (api.pbkdf2)(alg, key.as_ptr(), key.len(), msg.as_ptr(), msg.len(), iterations, out.as_mut_ptr(), out.len())
        };
        let len = match alg { ZC_SHA256 => Some(32), ZC_SHA512 => Some(64), _ => None };
        match len {
            None => {
                prop_assert_eq!(hmac, ZC_ERR_ALGORITHM);
                prop_assert_eq!(hkdf, ZC_ERR_ALGORITHM);
                prop_assert_eq!(pbkdf2, ZC_ERR_ALGORITHM);
            }
            Some(len) => {
                prop_assert_eq!(hmac == ZC_OK, out_len == len);
                prop_assert_eq!(hkdf == ZC_OK, out_len >= 1);
                prop_assert!(pbkdf2 == ZC_OK || pbkdf2 == ZC_ERR_PARAMS || pbkdf2 == ZC_ERR_LENGTH);
                prop_assert_eq!(pbkdf2 == ZC_OK, iterations >= 1 && out_len >= 1);
            }
        }
    }

    #[test]
    fn aead_random_sizes_and_forgeries(alg in 0i32..6, key in bytes(40), nonce in bytes(30), aad in bytes(40), sealed in bytes(80)) {
        let api = raw_api();
        let sizes = match alg {
            ZC_AES_128_GCM => Some((16, 12)),
            ZC_AES_256_GCM | ZC_CHACHA20_POLY1305 => Some((32, 12)),
            ZC_XCHACHA20_POLY1305 => Some((32, 24)),
            _ => None,
        };
        let mut out = vec![0xAAu8; sealed.len().saturating_sub(16)];
        let status = unsafe {
            (api.aead_open)(alg, key.as_ptr(), key.len(), nonce.as_ptr(), nonce.len(), aad.as_ptr(), aad.len(),
                sealed.as_ptr(), sealed.len(), out.as_mut_ptr())
        };
        match sizes {
            None => prop_assert_eq!(status, ZC_ERR_ALGORITHM),
            Some((k, n)) if key.len() != k || nonce.len() != n || sealed.len() < 16 => prop_assert_eq!(status, ZC_ERR_LENGTH),
            Some(_) => {
                // A random tag authenticates with probability 2^-128.
                prop_assert_eq!(status, ZC_ERR_AUTH);
                prop_assert!(out.iter().all(|&b| b == 0), "output zeroed after a failed open");
            }
        }
    }

    #[test]
    fn signatures_with_random_bytes(pk in bytes(70), sig in prop::array::uniform32(any::<u8>()), msg in bytes(100), recid in -3i32..8, high_s in any::<bool>()) {
        let api = raw_api();
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&sig);
        signature[32..].copy_from_slice(&sig);
        let digest = [7u8; 32];
        let verify = unsafe { (api.secp256k1_verify)(pk.as_ptr(), pk.len(), digest.as_ptr(), signature.as_ptr(), high_s as i32) };
        prop_assert!(verify == ZC_ERR_LENGTH || verify == ZC_ERR_INVALID_KEY || verify == ZC_ERR_INVALID_SIGNATURE, "status {}", verify);
        let mut out = [0u8; 65];
        let convert = unsafe { (api.secp256k1_public_key_convert)(pk.as_ptr(), pk.len(), out.as_mut_ptr(), 33) };
        prop_assert!(convert == ZC_OK || convert == ZC_ERR_LENGTH || convert == ZC_ERR_INVALID_KEY);
        let recover = unsafe { (api.secp256k1_recover)(digest.as_ptr(), signature.as_ptr(), recid, out.as_mut_ptr(), 65) };
        if !(0..=3).contains(&recid) {
            prop_assert_ne!(recover, ZC_OK);
        }
        let ecdh = unsafe { (api.secp256k1_ecdh)(sig.as_ptr(), pk.as_ptr(), pk.len(), out.as_mut_ptr(), 33) };
        prop_assert!(ecdh == ZC_OK || ecdh == ZC_ERR_LENGTH || ecdh == ZC_ERR_INVALID_KEY);
        if pk.len() == 32 {
            let ed = unsafe { (api.ed25519_verify)(pk.as_ptr(), msg.as_ptr(), msg.len(), signature.as_ptr()) };
            prop_assert!(ed == ZC_ERR_INVALID_SIGNATURE || ed == ZC_ERR_INVALID_KEY, "ed25519 status {}", ed);
            let x = unsafe { (api.x25519_shared_secret)(sig.as_ptr(), pk.as_ptr(), out.as_mut_ptr()) };
            prop_assert!(x == ZC_OK || x == ZC_ERR_WEAK_KEY);
        }
    }
}

#[test]
fn null_pointers_with_lengths_are_rejected() {
    let api = raw_api();
    let mut out = [0u8; 64];
    unsafe {
        assert_eq!(
            (api.hash)(ZC_SHA256, ptr::null(), 10, out.as_mut_ptr(), 32),
            ZC_ERR_LENGTH
        );
        assert_eq!(
            (api.hash)(ZC_SHA256, ptr::null(), 0, out.as_mut_ptr(), 32),
            ZC_OK
        );
        assert_eq!(
            (api.hash)(ZC_SHA256, out.as_ptr(), 0, ptr::null_mut(), 32),
            ZC_ERR_LENGTH
        );
        assert_eq!((api.random_bytes)(ptr::null_mut(), 5), ZC_ERR_LENGTH);
        assert_eq!(
            (api.hmac)(
                ZC_SHA256,
                ptr::null(),
                3,
                out.as_ptr(),
                0,
                out.as_mut_ptr(),
                32
            ),
            ZC_ERR_LENGTH
        );
    }
}

#[test]
fn argon2id_parameters_are_validated() {
    let api = raw_api();
    let mut out = [0u8; 32];
    let salt = [1u8; 16];
    let cases: [(u32, u32, u32, usize, usize, i32); 6] = [
        (1, 64, 1, 16, 32, ZC_OK),
        (0, 64, 1, 16, 32, ZC_ERR_PARAMS),
        (1, 7, 1, 16, 32, ZC_ERR_PARAMS),
        (1, 64, 0, 16, 32, ZC_ERR_PARAMS),
        (1, 64, 1, 4, 32, ZC_ERR_PARAMS),
        (1, 64, 1, 16, 3, ZC_ERR_PARAMS),
    ];
    for (t, m, p, salt_len, out_len, expected) in cases {
        let status = unsafe {
            (api.argon2id)(
                b"pw".as_ptr(),
                2,
                salt.as_ptr(),
                salt_len,
                t,
                m,
                p,
                out.as_mut_ptr(),
                out_len,
            )
        };
        assert_eq!(
            status, expected,
            "t={t} m={m} p={p} salt={salt_len} out={out_len}"
        );
    }
}
