/*
 * The SQLCipher amalgamation as one translation unit, plus the setup function that
 * SQLCIPHER_CRYPTO_CUSTOM names. Including the amalgamation (rather than compiling it
 * beside this file) lets the compiler check the copy below against SQLCipher's own
 * `sqlcipher_provider` struct.
 */
#include "sqlcipher.c"
#include "zsqlcipher.h"

/* Set by the Rust core (db::engine) to the table of the CPU level it picked, before it
 * first opens a database. */
const zsqlcipher_api *ghostkit_sqlcipher_table = 0;

int ghostkit_sqlcipher_setup(sqlcipher_provider *p) {
  const zsqlcipher_api *t = ghostkit_sqlcipher_table;
  if (t == 0 || t->abi_version != ZSC_ABI_VERSION) return SQLITE_ERROR;
  p->init = 0;
  p->shutdown = 0;
  p->get_provider_name = t->get_provider_name;
  p->add_random = t->add_random;
  p->random = t->random;
  p->hmac = t->hmac;
  p->kdf = t->kdf;
  p->cipher = t->cipher;
  p->get_cipher = t->get_cipher;
  p->get_key_sz = t->get_key_sz;
  p->get_iv_sz = t->get_iv_sz;
  p->get_block_sz = t->get_block_sz;
  p->get_hmac_sz = t->get_hmac_sz;
  p->ctx_init = t->ctx_init;
  p->ctx_free = t->ctx_free;
  p->fips_status = t->fips_status;
  p->get_provider_version = t->get_provider_version;
  return SQLITE_OK;
}
