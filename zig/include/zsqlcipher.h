/*
 * zsqlcipher.h - the crypto provider that SQLCipher 4 calls through its
 * SQLCIPHER_CRYPTO_CUSTOM hook, implemented in Zig (zig/src/sqlcipher) on ZCrypto.
 *
 * The library is built once per CPU level; each build exports exactly one symbol,
 * `zsqlcipher_api_<level>`, returning a static table. The Rust core picks the table the
 * CPU supports and hands it to the setup shim, which copies the entries into
 * SQLCipher's `sqlcipher_provider` (whose function signatures these mirror exactly).
 *
 * Rules: every function returns ZSC_OK (0, SQLITE_OK) or ZSC_ERROR (1, SQLITE_ERROR),
 * except the size getters; lengths are checked; temporary secret state is zeroed before
 * returning; no function allocates.
 */
#ifndef ZSQLCIPHER_H
#define ZSQLCIPHER_H

#include <stddef.h>
#include <stdint.h>

#define ZSC_ABI_VERSION 1

#define ZSC_OK 0
#define ZSC_ERROR 1

/* Cipher modes (SQLCIPHER_ENCRYPT / SQLCIPHER_DECRYPT). */
#define ZSC_DECRYPT 0
#define ZSC_ENCRYPT 1

/* HMAC algorithms (SQLCIPHER_HMAC_*), also PBKDF2 algorithms (SQLCIPHER_PBKDF2_HMAC_*). */
#define ZSC_SHA1 0
#define ZSC_SHA256 1
#define ZSC_SHA512 2

/* AES-256-CBC without padding. */
#define ZSC_KEY_SIZE 32
#define ZSC_IV_SIZE 16
#define ZSC_BLOCK_SIZE 16

typedef struct zsqlcipher_api {
    uint32_t abi_version; /* ZSC_ABI_VERSION */
    const char *level;    /* NUL-terminated CPU level name */

    /* Fill buffer with length bytes from the OS CSPRNG. */
    int (*random)(void *ctx, void *buffer, int length);
    /* Entropy from SQLCipher; the OS source needs none, so it is accepted and ignored. */
    int (*add_random)(void *ctx, const void *buffer, int length);
    /* out = HMAC(key, in || in2); in2 may be NULL. out holds get_hmac_sz(algorithm) bytes. */
    int (*hmac)(void *ctx, int algorithm, const unsigned char *hmac_key, int key_sz,
                const unsigned char *in, int in_sz, const unsigned char *in2, int in2_sz,
                unsigned char *out);
    /* PBKDF2-HMAC(algorithm) with workfactor iterations into key_sz bytes. */
    int (*kdf)(void *ctx, int algorithm, const unsigned char *pass, int pass_sz,
               const unsigned char *salt, int salt_sz, int workfactor, int key_sz,
               unsigned char *key);
    /* AES-256-CBC of in_sz bytes (a multiple of 16) from in to out (may be the same). */
    int (*cipher)(void *ctx, int mode, const unsigned char *key, int key_sz,
                  const unsigned char *iv, const unsigned char *in, int in_sz,
                  unsigned char *out);
    const char *(*get_cipher)(void *ctx);
    const char *(*get_provider_name)(void *ctx);
    const char *(*get_provider_version)(void *ctx);
    int (*get_key_sz)(void *ctx);
    int (*get_iv_sz)(void *ctx);
    int (*get_block_sz)(void *ctx);
    /* Digest size of an HMAC algorithm; 0 for an unknown one. */
    int (*get_hmac_sz)(void *ctx, int algorithm);
    /* The provider keeps no per-context state: ctx_init stores NULL. */
    int (*ctx_init)(void **ctx);
    int (*ctx_free)(void **ctx);
    int (*fips_status)(void *ctx);
} zsqlcipher_api;

#endif
