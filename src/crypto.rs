//! `ghostkit/crypto`: argument conversion over `ghostkit::crypto`.
//!
//! Outputs are written into `Uint8Array`s that `lib/crypto.js` allocates (cheaper than
//! handing V8 a Rust allocation for every 32-byte digest); lengths are checked here too.

use ghostkit::crypto::{
    self as core, Error, SecretBytes, aead, der, ed25519, eth, hash, kdf, secp256k1, x25519,
};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{DISPOSED, HASH_FINISHED, OK, status, status_of};

/// The bytes of an output array that `lib/crypto.js` allocated for this call.
fn writable<'a>(out: &'a mut Uint8ArraySlice) -> &'a mut [u8] {
    // SAFETY: JS cannot run during this synchronous call, and the JS layer passes a
    // fresh array that aliases no input.
    unsafe { out.as_mut() }
}

fn array<const N: usize>(bytes: &[u8]) -> std::result::Result<&[u8; N], i32> {
    bytes.try_into().map_err(|_| status_of(Error::Length))
}

macro_rules! arr {
    ($bytes:expr, $n:literal) => {
        match array::<$n>($bytes) {
            Ok(a) => a,
            Err(code) => return code,
        }
    };
}

/// Writes `value` into `out`, which must have the same length.
fn put(out: &mut [u8], value: &[u8]) -> i32 {
    if out.len() != value.len() {
        return status_of(Error::Length);
    }
    out.copy_from_slice(value);
    OK
}

fn put_result(out: &mut [u8], value: std::result::Result<impl AsRef<[u8]>, Error>) -> i32 {
    match value {
        Ok(v) => put(out, v.as_ref()),
        Err(e) => status_of(e),
    }
}

#[napi(object)]
pub struct CpuLevels {
    /// The level in use, when the selection succeeded.
    pub level: Option<String>,
    /// Why `GHOSTKIT_CPU_LEVEL` could not be honoured.
    pub error: Option<String>,
    pub available: Vec<String>,
    pub built: Vec<String>,
}

#[napi]
pub fn crypto_cpu_levels() -> CpuLevels {
    let (level, error) = match core::cpu_level() {
        Ok(level) => (Some(level.to_string()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let strings = |v: Vec<&str>| v.into_iter().map(String::from).collect();
    CpuLevels {
        level,
        error,
        available: strings(core::available_cpu_levels()),
        built: strings(core::built_cpu_levels()),
    }
}

#[napi]
pub fn random_fill(mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    status(core::random_bytes(out))
}

#[napi]
pub fn timing_safe_equal(a: &[u8], b: &[u8]) -> bool {
    core::timing_safe_eq(a, b)
}

fn hash_algorithm(id: u32) -> Option<hash::Algorithm> {
    use hash::Algorithm::*;
    [Sha256, Sha512, Sha3_256, Sha3_512, Keccak256, Blake3]
        .get((id as usize).wrapping_sub(1))
        .copied()
}

#[napi]
pub fn hash_into(algorithm: u32, data: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    match hash_algorithm(algorithm) {
        Some(alg) => status(hash::hash_into(alg, data, out)),
        None => status_of(Error::Internal),
    }
}

/// Tells V8 about `bytes` of native memory held by a JS object, so that its garbage
/// collector weighs the object by what it really costs.
fn report_external(env: &Env, delta_bytes: i64) {
    // Only a hint to the GC: failing to give it loses nothing.
    let _ = env.adjust_external_memory(delta_bytes);
}

/// A streaming hash; `None` once the digest was taken.
#[napi(custom_finalize)]
pub struct NativeHasher {
    state: Option<hash::Hasher>,
    external_bytes: usize,
}

impl NativeHasher {
    fn wrap(env: &Env, state: hash::Hasher) -> NativeHasher {
        let external_bytes = state.state_size();
        report_external(env, external_bytes as i64);
        NativeHasher {
            state: Some(state),
            external_bytes,
        }
    }
}

impl ObjectFinalize for NativeHasher {
    fn finalize(self, env: Env) -> Result<()> {
        report_external(&env, -(self.external_bytes as i64));
        Ok(())
    }
}

#[napi]
impl NativeHasher {
    #[napi(factory)]
    pub fn create(env: Env, algorithm: u32) -> Result<NativeHasher> {
        let alg = hash_algorithm(algorithm)
            .ok_or_else(|| napi::Error::new(Status::InvalidArg, "unknown hash algorithm"))?;
        Ok(NativeHasher::wrap(&env, hash::Hasher::new(alg)))
    }

    #[napi(factory)]
    pub fn blake3_keyed(env: Env, key: &[u8]) -> Result<NativeHasher> {
        let key: &[u8; 32] = key
            .try_into()
            .map_err(|_| napi::Error::new(Status::InvalidArg, "BLAKE3 key must be 32 bytes"))?;
        Ok(NativeHasher::wrap(&env, hash::Hasher::blake3_keyed(key)))
    }

    #[napi(factory)]
    pub fn blake3_derive_key(env: Env, context: &[u8]) -> NativeHasher {
        NativeHasher::wrap(&env, hash::Hasher::blake3_derive_key(context))
    }

    #[napi]
    pub fn update(&mut self, data: &[u8]) -> i32 {
        match &mut self.state {
            Some(state) => {
                state.update(data);
                OK
            }
            None => HASH_FINISHED,
        }
    }

    #[napi]
    pub fn digest_into(&mut self, mut out: Uint8ArraySlice) -> i32 {
        let out = writable(&mut out);
        match self.state.take() {
            Some(state) => status(state.finalize_into(out)),
            None => HASH_FINISHED,
        }
    }

    /// An independent copy of the state; `null` once the digest was taken.
    #[napi]
    pub fn copy(&self, env: Env) -> Option<NativeHasher> {
        self.state
            .as_ref()
            .map(|state| NativeHasher::wrap(&env, state.clone()))
    }
}

fn mac_hash(id: u32) -> Option<kdf::MacHash> {
    match id {
        1 => Some(kdf::MacHash::Sha256),
        2 => Some(kdf::MacHash::Sha512),
        _ => None,
    }
}

macro_rules! mac {
    ($id:expr) => {
        match mac_hash($id) {
            Some(h) => h,
            None => return status_of(Error::Internal),
        }
    };
}

#[napi]
pub fn hmac_into(algorithm: u32, key: &[u8], message: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    let h = mac!(algorithm);
    put(out, &kdf::hmac(h, key, message))
}

#[napi]
pub fn hkdf_into(
    algorithm: u32,
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    let h = mac!(algorithm);
    put_result(out, kdf::hkdf(h, ikm, salt, info, out.len()))
}

#[napi]
pub fn pbkdf2_into(
    algorithm: u32,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    let h = mac!(algorithm);
    put_result(out, kdf::pbkdf2(h, password, salt, iterations, out.len()))
}

#[napi(js_name = "argon2idInto")]
pub fn argon2id_into(
    password: &[u8],
    salt: &[u8],
    t: u32,
    m: u32,
    p: u32,
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    let params = kdf::Argon2Params {
        t_cost: t,
        m_cost_kib: m,
        parallelism: p,
    };
    put_result(out, kdf::argon2id(password, salt, params, out.len()))
}

/// A slow KDF run on the libuv thread pool; inputs are copied (JS may reuse its buffers),
/// and the password copy is wiped when the task ends.
pub enum KdfJob {
    Pbkdf2 {
        hash: kdf::MacHash,
        password: Vec<u8>,
        salt: Vec<u8>,
        iterations: u32,
        length: usize,
    },
    Argon2id {
        password: Vec<u8>,
        salt: Vec<u8>,
        params: kdf::Argon2Params,
        length: usize,
    },
}

impl Drop for KdfJob {
    fn drop(&mut self) {
        let (KdfJob::Pbkdf2 { password, .. } | KdfJob::Argon2id { password, .. }) = self;
        // SAFETY: the vector's own bytes.
        unsafe { (core::raw_api().secure_zero)(password.as_mut_ptr(), password.len()) };
    }
}

impl Task for KdfJob {
    type Output = std::result::Result<Vec<u8>, Error>;
    type JsValue = Either<Buffer, i32>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(match self {
            KdfJob::Pbkdf2 {
                hash,
                password,
                salt,
                iterations,
                length,
            } => kdf::pbkdf2(*hash, password, salt, *iterations, *length),
            KdfJob::Argon2id {
                password,
                salt,
                params,
                length,
            } => kdf::argon2id(password, salt, *params, *length),
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(match output {
            Ok(key) => Either::A(key.into()),
            Err(e) => Either::B(status_of(e)),
        })
    }
}

#[napi(ts_return_type = "Promise<Buffer | number>")]
pub fn pbkdf2_async(
    algorithm: u32,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    length: u32,
) -> Result<AsyncTask<KdfJob>> {
    let hash = mac_hash(algorithm)
        .ok_or_else(|| napi::Error::new(Status::InvalidArg, "unknown PBKDF2 hash"))?;
    Ok(AsyncTask::new(KdfJob::Pbkdf2 {
        hash,
        password: password.to_vec(),
        salt: salt.to_vec(),
        iterations,
        length: length as usize,
    }))
}

#[napi(ts_return_type = "Promise<Buffer | number>", js_name = "argon2idAsync")]
pub fn argon2id_async(
    password: &[u8],
    salt: &[u8],
    t: u32,
    m: u32,
    p: u32,
    length: u32,
) -> AsyncTask<KdfJob> {
    AsyncTask::new(KdfJob::Argon2id {
        password: password.to_vec(),
        salt: salt.to_vec(),
        params: kdf::Argon2Params {
            t_cost: t,
            m_cost_kib: m,
            parallelism: p,
        },
        length: length as usize,
    })
}

fn aead_algorithm(id: u32) -> Option<aead::Algorithm> {
    use aead::Algorithm::*;
    [Aes128Gcm, Aes256Gcm, ChaCha20Poly1305, XChaCha20Poly1305]
        .get((id as usize).wrapping_sub(1))
        .copied()
}

#[napi]
pub fn aead_seal_into(
    algorithm: u32,
    key: &[u8],
    nonce: &[u8],
    plaintext: &[u8],
    aad: &[u8],
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    match aead_algorithm(algorithm) {
        Some(alg) => status(alg.seal_into(key, nonce, plaintext, aad, out)),
        None => status_of(Error::Internal),
    }
}

#[napi]
pub fn aead_open_into(
    algorithm: u32,
    key: &[u8],
    nonce: &[u8],
    sealed: &[u8],
    aad: &[u8],
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    match aead_algorithm(algorithm) {
        Some(alg) => status(alg.open_into(key, nonce, sealed, aad, out)),
        None => status_of(Error::Internal),
    }
}

/// The key kinds a `SecretKey` holds. Ed25519 keeps its public key beside the seed.
enum Key {
    Ed25519(ed25519::SigningKey),
    Secp256k1(SecretBytes<32>),
    X25519(SecretBytes<32>),
}

/// A secret key in native memory, zeroed on `dispose()` or when collected.
#[napi]
pub struct NativeSecretKey {
    key: Option<Key>,
}

const ALG_ED25519: u32 = 1;
const ALG_SECP256K1: u32 = 2;
const ALG_X25519: u32 = 3;

#[napi]
impl NativeSecretKey {
    /// Copies 32 secret bytes; `lib/crypto.js` has validated them.
    #[napi(factory)]
    pub fn from_bytes(algorithm: u32, bytes: &[u8]) -> Result<NativeSecretKey> {
        let bytes: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| napi::Error::new(Status::InvalidArg, "a secret key is 32 bytes"))?;
        let invalid = |e: Error| napi::Error::new(Status::InvalidArg, e.to_string());
        let key = match algorithm {
            ALG_ED25519 => Key::Ed25519(ed25519::SigningKey::from_seed(bytes).map_err(invalid)?),
            ALG_SECP256K1 => {
                secp256k1::public_key(bytes, true).map_err(invalid)?;
                Key::Secp256k1(SecretBytes::new(bytes))
            }
            ALG_X25519 => Key::X25519(SecretBytes::new(bytes)),
            _ => {
                return Err(napi::Error::new(
                    Status::InvalidArg,
                    "unknown key algorithm",
                ));
            }
        };
        Ok(NativeSecretKey { key: Some(key) })
    }

    #[napi(getter)]
    pub fn disposed(&self) -> bool {
        self.key.is_none()
    }

    #[napi]
    pub fn dispose(&mut self) {
        self.key = None;
    }

    #[napi]
    pub fn export_into(&self, mut out: Uint8ArraySlice) -> i32 {
        let out = writable(&mut out);
        match &self.key {
            Some(Key::Ed25519(k)) => put(out, k.seed()),
            Some(Key::Secp256k1(k) | Key::X25519(k)) => put(out, k.expose()),
            None => DISPOSED,
        }
    }

    /// Ed25519/X25519: 32 bytes; secp256k1: 33 or 65 by `out`'s length.
    #[napi]
    pub fn public_key_into(&self, mut out: Uint8ArraySlice) -> i32 {
        let out = writable(&mut out);
        match &self.key {
            Some(Key::Ed25519(k)) => put(out, &k.public_key()),
            Some(Key::Secp256k1(k)) => {
                put_result(out, secp256k1::public_key(k.expose(), out.len() == 33))
            }
            Some(Key::X25519(k)) => put_result(out, x25519::public_key(k.expose())),
            None => DISPOSED,
        }
    }
}

fn secp_secret(key: &NativeSecretKey) -> std::result::Result<&[u8; 32], i32> {
    match &key.key {
        Some(Key::Secp256k1(k)) => Ok(k.expose()),
        Some(_) => Err(status_of(Error::InvalidKey)),
        None => Err(DISPOSED),
    }
}

fn x25519_secret(key: &NativeSecretKey) -> std::result::Result<&[u8; 32], i32> {
    match &key.key {
        Some(Key::X25519(k)) => Ok(k.expose()),
        Some(_) => Err(status_of(Error::InvalidKey)),
        None => Err(DISPOSED),
    }
}

#[napi]
pub fn ed25519_public_key_into(seed: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    put_result(out, ed25519::public_key(arr!(seed, 32)))
}

#[napi]
pub fn ed25519_sign_into(seed: &[u8], message: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    match ed25519::SigningKey::from_seed(arr!(seed, 32)) {
        Ok(key) => put(out, &key.sign(message)),
        Err(e) => status_of(e),
    }
}

#[napi]
pub fn ed25519_sign_key_into(
    key: &NativeSecretKey,
    message: &[u8],
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    match &key.key {
        Some(Key::Ed25519(k)) => put(out, &k.sign(message)),
        Some(_) => status_of(Error::InvalidKey),
        None => DISPOSED,
    }
}

#[napi]
pub fn ed25519_verify(signature: &[u8], message: &[u8], public_key: &[u8]) -> bool {
    match (
        <&[u8; 64]>::try_from(signature),
        <&[u8; 32]>::try_from(public_key),
    ) {
        (Ok(sig), Ok(pk)) => ed25519::verify(sig, message, pk),
        _ => false,
    }
}

#[napi(js_name = "secp256k1PublicKeyInto")]
pub fn secp256k1_public_key_into(secret_key: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    let compressed = out.len() == secp256k1::COMPRESSED_LEN;
    put_result(out, secp256k1::public_key(arr!(secret_key, 32), compressed))
}

#[napi(js_name = "secp256k1ConvertInto")]
pub fn secp256k1_convert_into(public_key: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    let compressed = out.len() == secp256k1::COMPRESSED_LEN;
    put_result(out, secp256k1::convert_public_key(public_key, compressed))
}

fn sign_with(secret: &[u8; 32], digest: &[u8], extra: Option<&[u8]>, out: &mut [u8]) -> i32 {
    let digest = arr!(digest, 32);
    let extra = match extra {
        Some(e) => Some(arr!(e, 32)),
        None => None,
    };
    match secp256k1::sign(secret, digest, extra) {
        Ok(signed) => match put(out, &signed.signature) {
            OK => i32::from(signed.recovery_id),
            code => code,
        },
        Err(e) => status_of(e),
    }
}

/// Returns the recovery id (0..=3) or a negative status.
#[napi(js_name = "secp256k1SignInto")]
pub fn secp256k1_sign_into(
    secret_key: &[u8],
    digest: &[u8],
    extra_entropy: Option<&[u8]>,
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    sign_with(arr!(secret_key, 32), digest, extra_entropy, out)
}

/// Returns the recovery id (0..=3) or a negative status.
#[napi(js_name = "secp256k1SignKeyInto")]
pub fn secp256k1_sign_key_into(
    key: &NativeSecretKey,
    digest: &[u8],
    extra_entropy: Option<&[u8]>,
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    match secp_secret(key) {
        Ok(secret) => sign_with(secret, digest, extra_entropy, out),
        Err(code) => code,
    }
}

/// 1 valid, 0 invalid, negative for a malformed public key.
#[napi(js_name = "secp256k1Verify")]
pub fn secp256k1_verify(
    public_key: &[u8],
    digest: &[u8],
    signature: &[u8],
    allow_high_s: bool,
) -> i32 {
    let (Ok(digest), Ok(signature)) = (
        <&[u8; 32]>::try_from(digest),
        <&[u8; 64]>::try_from(signature),
    ) else {
        return 0;
    };
    match secp256k1::verify(public_key, digest, signature, allow_high_s) {
        Ok(valid) => i32::from(valid),
        Err(e) => status_of(e),
    }
}

#[napi(js_name = "secp256k1RecoverInto")]
pub fn secp256k1_recover_into(
    digest: &[u8],
    signature: &[u8],
    recovery_id: u32,
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    let compressed = out.len() == secp256k1::COMPRESSED_LEN;
    let Ok(recovery_id) = u8::try_from(recovery_id) else {
        return status_of(Error::InvalidSignature);
    };
    put_result(
        out,
        secp256k1::recover(
            arr!(digest, 32),
            arr!(signature, 64),
            recovery_id,
            compressed,
        ),
    )
}

fn ecdh_with(secret: &[u8; 32], public_key: &[u8], out: &mut [u8]) -> i32 {
    let format = match out.len() {
        32 => secp256k1::SharedSecretFormat::XOnly,
        33 => secp256k1::SharedSecretFormat::Compressed,
        _ => secp256k1::SharedSecretFormat::Uncompressed,
    };
    put_result(out, secp256k1::ecdh(secret, public_key, format))
}

#[napi(js_name = "secp256k1EcdhInto")]
pub fn secp256k1_ecdh_into(secret_key: &[u8], public_key: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    ecdh_with(arr!(secret_key, 32), public_key, out)
}

#[napi(js_name = "secp256k1EcdhKeyInto")]
pub fn secp256k1_ecdh_key_into(
    key: &NativeSecretKey,
    public_key: &[u8],
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    match secp_secret(key) {
        Ok(secret) => ecdh_with(secret, public_key, out),
        Err(code) => code,
    }
}

#[napi(js_name = "secp256k1SignatureToDer")]
pub fn secp256k1_signature_to_der(signature: &[u8]) -> Option<Buffer> {
    let compact: &[u8; 64] = signature.try_into().ok()?;
    Some(der::encode_signature(compact).into())
}

#[napi(js_name = "secp256k1SignatureFromDerInto")]
pub fn secp256k1_signature_from_der_into(der_bytes: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    put_result(out, der::decode_signature(der_bytes))
}

#[napi]
pub fn eth_address(public_key: &[u8]) -> Either<String, i32> {
    match eth::address(public_key) {
        Ok(address) => Either::A(address),
        Err(e) => Either::B(status_of(e)),
    }
}

#[napi]
pub fn eth_checksum_address(address: String) -> Option<String> {
    eth::checksum_address(&address)
}

#[napi]
pub fn eth_hash_message_into(message: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    put(out, &eth::hash_message(message))
}

#[napi]
pub fn x25519_public_key_into(secret_key: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    put_result(out, x25519::public_key(arr!(secret_key, 32)))
}

#[napi]
pub fn x25519_shared_into(secret_key: &[u8], public_key: &[u8], mut out: Uint8ArraySlice) -> i32 {
    let out = writable(&mut out);
    put_result(
        out,
        x25519::shared_secret(arr!(secret_key, 32), arr!(public_key, 32)),
    )
}

#[napi]
pub fn x25519_shared_key_into(
    key: &NativeSecretKey,
    public_key: &[u8],
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = writable(&mut out);
    match x25519_secret(key) {
        Ok(secret) => put_result(out, x25519::shared_secret(secret, arr!(public_key, 32))),
        Err(code) => code,
    }
}
