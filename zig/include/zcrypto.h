/*
 * zcrypto.h - the C ABI of ZCrypto, ghostkit's crypto library (Zig std.crypto).
 *
 * This header is the contract between zig/src/crypto (which implements it, checked by
 * the Zig compiler through translate-c) and crates/ghostkit (which calls it).
 *
 * The library is built once per CPU level. Each build exports exactly one symbol, a
 * function returning a table of function pointers; the Rust core picks the best table
 * the CPU supports at load time.
 *
 * Rules for every function:
 *  - returns a ZC_* status code (0 = success, negative = error), except where noted;
 *  - never allocates on the caller's behalf except argon2id (its own scratch, freed);
 *  - output buffers never overlap inputs; lengths are checked, never trusted;
 *  - on any error, output buffers hold no secret material (they are zeroed);
 *  - a hash state is used only with the table that initialised it.
 */
#ifndef ZCRYPTO_H
#define ZCRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define ZC_ABI_VERSION 1

/* Status codes. */
#define ZC_OK 0
#define ZC_ERR_LENGTH (-1)            /* a buffer length is out of range */
#define ZC_ERR_INVALID_KEY (-2)       /* a secret key, public key or point is not valid */
#define ZC_ERR_INVALID_SIGNATURE (-3) /* a signature is malformed or does not verify */
#define ZC_ERR_AUTH (-4)              /* AEAD authentication failed; output zeroed */
#define ZC_ERR_WEAK_KEY (-5)          /* an all-zero / identity shared secret */
#define ZC_ERR_PARAMS (-6)            /* KDF parameters out of range */
#define ZC_ERR_NOMEM (-7)             /* allocation failed (argon2id) */
#define ZC_ERR_RANDOM (-8)            /* the OS random source failed */
#define ZC_ERR_ALGORITHM (-9)         /* unknown algorithm id */

/* Hash algorithm ids (also used by hmac/hkdf/pbkdf2, which accept SHA256 and SHA512). */
#define ZC_SHA256 1
#define ZC_SHA512 2
#define ZC_SHA3_256 3
#define ZC_SHA3_512 4
#define ZC_KECCAK256 5
#define ZC_BLAKE3 6

/* AEAD algorithm ids. All use a 16-byte tag appended to the ciphertext. */
#define ZC_AES_128_GCM 1        /* key 16, nonce 12 */
#define ZC_AES_256_GCM 2        /* key 32, nonce 12 */
#define ZC_CHACHA20_POLY1305 3  /* key 32, nonce 12 */
#define ZC_XCHACHA20_POLY1305 4 /* key 32, nonce 24 */
#define ZC_AEAD_TAG_LENGTH 16

/* Hash states are plain bytes: copy one with memcpy to fork it. Allocate
 * hash_state_size(alg) bytes aligned to ZC_HASH_STATE_ALIGN. */
#define ZC_HASH_STATE_ALIGN 64

typedef struct zc_api {
    uint32_t abi_version; /* ZC_ABI_VERSION */
    const char *level;    /* NUL-terminated CPU level name, e.g. "x86_64_v3" */

    /* --- utilities --- */
    /* Fill out with bytes from the OS CSPRNG (getrandom). */
    int (*random_bytes)(uint8_t *out, size_t out_len);
    /* Constant-time comparison: returns 1 when equal, 0 when not (not a status code). */
    int (*timing_safe_equal)(const uint8_t *a, const uint8_t *b, size_t len);
    /* Zero len bytes in a way the optimizer cannot remove. */
    void (*secure_zero)(uint8_t *buf, size_t len);

    /* --- hashes --- */
    /* Size in bytes of a streaming state for alg; 0 for an unknown alg. */
    size_t (*hash_state_size)(int alg);
    int (*hash_init)(int alg, void *state);
    /* BLAKE3 keyed mode (32-byte key) and derive-key mode (context string). */
    int (*blake3_init_keyed)(void *state, const uint8_t *key /* 32 */);
    int (*blake3_init_derive_key)(void *state, const uint8_t *context, size_t context_len);
    int (*hash_update)(int alg, void *state, const uint8_t *data, size_t data_len);
    /* Writes the digest. out_len must equal the digest length (32 or 64), except BLAKE3,
     * which is an XOF: any out_len >= 1. The state is consumed: copy it first to keep it. */
    int (*hash_final)(int alg, void *state, uint8_t *out, size_t out_len);
    /* One-shot hash with the same out_len rules. */
    int (*hash)(int alg, const uint8_t *data, size_t data_len, uint8_t *out, size_t out_len);

    /* --- MAC / KDF (alg = ZC_SHA256 or ZC_SHA512) --- */
    /* out_len = 32 (SHA256) or 64 (SHA512). */
    int (*hmac)(int alg, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                uint8_t *out, size_t out_len);
    /* RFC 5869 extract-and-expand; salt may be NULL/empty; 1 <= out_len <= 255 * digest length. */
    int (*hkdf)(int alg, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
    /* iterations >= 1; 1 <= out_len <= 2^32 - 1 (practically bounded by the caller). */
    int (*pbkdf2)(int alg, const uint8_t *password, size_t password_len, const uint8_t *salt,
                  size_t salt_len, uint32_t iterations, uint8_t *out, size_t out_len);
    /* Argon2id (RFC 9106, version 0x13). t_cost >= 1; parallelism 1..255;
     * m_cost_kib >= 8 * parallelism and <= 4 GiB; salt_len >= 8; out_len >= 4.
     * Runs on the calling thread (lanes computed in turn); allocates m_cost_kib KiB. */
    int (*argon2id)(const uint8_t *password, size_t password_len, const uint8_t *salt,
                    size_t salt_len, uint32_t t_cost, uint32_t m_cost_kib, uint32_t parallelism,
                    uint8_t *out, size_t out_len);

    /* --- AEAD --- */
    /* out receives plaintext_len + 16 bytes: ciphertext || tag. */
    int (*aead_seal)(int alg, const uint8_t *key, size_t key_len, const uint8_t *nonce,
                     size_t nonce_len, const uint8_t *aad, size_t aad_len,
                     const uint8_t *plaintext, size_t plaintext_len, uint8_t *out);
    /* sealed = ciphertext || tag (sealed_len >= 16); out receives sealed_len - 16 bytes,
     * or is zeroed and ZC_ERR_AUTH returned when the tag does not match. */
    int (*aead_open)(int alg, const uint8_t *key, size_t key_len, const uint8_t *nonce,
                     size_t nonce_len, const uint8_t *aad, size_t aad_len, const uint8_t *sealed,
                     size_t sealed_len, uint8_t *out);

    /* --- Ed25519 (RFC 8032) --- */
    /* secret_key is the 64-byte seed || public key form; seed-only callers derive it with
     * ed25519_public_key first. The public half is trusted, not checked: the caller must
     * guarantee it belongs to the seed (a mismatched one makes signatures that leak the key). */
    int (*ed25519_public_key)(const uint8_t *seed /* 32 */, uint8_t *public_key /* 32 */);
    int (*ed25519_sign)(const uint8_t *secret_key /* 64 */, const uint8_t *msg, size_t msg_len,
                        uint8_t *signature /* 64 */);
    /* ZC_OK when valid; ZC_ERR_INVALID_SIGNATURE or ZC_ERR_INVALID_KEY when not.
     * Rejects non-canonical S and non-canonical / small-order encodings. */
    int (*ed25519_verify)(const uint8_t *public_key /* 32 */, const uint8_t *msg, size_t msg_len,
                          const uint8_t *signature /* 64 */);

    /* --- secp256k1 --- */
    /* Public keys are SEC1: 33 bytes compressed or 65 bytes uncompressed (out_len selects).
     * An input public key of any other length is ZC_ERR_INVALID_KEY. */
    int (*secp256k1_public_key)(const uint8_t *secret_key /* 32 */, uint8_t *out, size_t out_len);
    /* Validates a SEC1 public key (33 or 65 bytes, on the curve, not infinity) and re-encodes it
     * into out (out_len 33 or 65). */
    int (*secp256k1_public_key_convert)(const uint8_t *public_key, size_t public_key_len,
                                        uint8_t *out, size_t out_len);
    /* ECDSA over a 32-byte digest. Nonce: RFC 6979 (HMAC-SHA256), with the optional 32 bytes of
     * extra entropy appended to the seed as libsecp256k1 does. The signature is compact r || s,
     * always low-S; recovery_id (0..3, may be NULL) receives the recovery id of the low-S
     * signature. */
    int (*secp256k1_sign)(const uint8_t *secret_key /* 32 */, const uint8_t *digest /* 32 */,
                          const uint8_t *extra_entropy /* 32 or NULL */,
                          uint8_t *signature /* 64 */, uint8_t *recovery_id);
    /* ZC_OK when valid. High-S signatures are rejected unless allow_high_s != 0. */
    int (*secp256k1_verify)(const uint8_t *public_key, size_t public_key_len,
                            const uint8_t *digest /* 32 */, const uint8_t *signature /* 64 */,
                            int allow_high_s);
    /* Recovers the public key (out_len 33 or 65) from a compact signature and recovery id 0..3. */
    int (*secp256k1_recover)(const uint8_t *digest /* 32 */, const uint8_t *signature /* 64 */,
                             int recovery_id, uint8_t *out, size_t out_len);
    /* ECDH: the shared point secret_key * public_key. out_len 32 = x coordinate only,
     * 33 = compressed point, 65 = uncompressed point. */
    int (*secp256k1_ecdh)(const uint8_t *secret_key /* 32 */, const uint8_t *public_key,
                          size_t public_key_len, uint8_t *out, size_t out_len);

    /* --- X25519 (RFC 7748) --- */
    int (*x25519_public_key)(const uint8_t *secret_key /* 32 */, uint8_t *public_key /* 32 */);
    /* ZC_ERR_WEAK_KEY (and zeroed out) when the shared secret is all zeros. */
    int (*x25519_shared_secret)(const uint8_t *secret_key /* 32 */,
                                const uint8_t *public_key /* 32 */, uint8_t *out /* 32 */);
} zc_api;

/* One table per CPU level; a build for a non-x86 target exports only the baseline. */
const zc_api *zcrypto_api_baseline(void);
const zc_api *zcrypto_api_x86_64_v3(void); /* x86-64-v3 + AES + PCLMUL */
const zc_api *zcrypto_api_x86_64_v4(void); /* x86-64-v4 + AES + PCLMUL + VAES + VPCLMULQDQ + SHA */

#endif /* ZCRYPTO_H */
