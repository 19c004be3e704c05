//! GhostLLM: a GGUF inference engine written in Zig (`zig/src/llm`), behind a safe API.
//!
//! A [`Model`] maps a GGUF file, validates it, and owns the worker threads of its
//! forward pass. A [`Sequence`] is one generation: its own KV cache, sampler and
//! streaming detokenizer. Several sequences may run on one model from several threads;
//! their forward passes take turns on the model's thread pool.
//!
//! ```no_run
//! use ghostkit::llm::{LoadOptions, Model, SequenceOptions};
//!
//! let model = Model::load("stories260K-f32.gguf", &LoadOptions::default()).unwrap();
//! let prompt = model.tokenize("Once upon a time", true, false).unwrap();
//! let mut seq = model.sequence(&SequenceOptions::greedy(256)).unwrap();
//! seq.eval(&prompt).unwrap();
//! let (id, _end) = seq.sample().unwrap();
//! println!("{}", seq.piece(id).unwrap());
//! ```

pub mod ffi;

use std::ffi::{CStr, c_char};
use std::fmt;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use ffi::{GlApi, GlGen, GlModel};

/// What went wrong in the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The file cannot be opened, read or mapped.
    Io(String),
    /// A corrupt or truncated GGUF file; the text names what and where.
    InvalidModel(String),
    /// An architecture, tensor type or tokenizer the engine does not run.
    Unsupported(String),
    /// Out of memory.
    NoMemory,
    /// The tokens do not fit the sequence's context.
    ContextFull,
    /// A token id outside the vocabulary.
    BadToken,
    /// Out-of-range options.
    Params(String),
    /// Loading was cancelled.
    Aborted,
    /// No CPU level of the engine runs here (see `GHOSTKIT_CPU_LEVEL`).
    CpuLevel(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(m) => write!(f, "cannot read the model file: {m}"),
            Error::InvalidModel(m) => write!(f, "invalid model: {m}"),
            Error::Unsupported(m) => write!(f, "unsupported model: {m}"),
            Error::NoMemory => write!(f, "out of memory"),
            Error::ContextFull => write!(f, "the tokens do not fit the context"),
            Error::BadToken => write!(f, "a token id is outside the vocabulary"),
            Error::Params(m) => write!(f, "invalid options: {m}"),
            Error::Aborted => write!(f, "aborted"),
            Error::CpuLevel(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}

fn status(code: i32, what: &str) -> Result<(), Error> {
    match code {
        ffi::GL_OK => Ok(()),
        ffi::GL_ERR_INVALID => Err(Error::InvalidModel(what.into())),
        ffi::GL_ERR_UNSUPPORTED => Err(Error::Unsupported(what.into())),
        ffi::GL_ERR_NOMEM => Err(Error::NoMemory),
        ffi::GL_ERR_CONTEXT_FULL => Err(Error::ContextFull),
        ffi::GL_ERR_BAD_TOKEN => Err(Error::BadToken),
        _ => Err(Error::Params(what.into())),
    }
}

fn select_api() -> Result<(&'static str, &'static GlApi), Error> {
    let level = crate::crypto::cpu_level().map_err(|e| Error::CpuLevel(e.to_string()))?;
    let table: unsafe extern "C" fn() -> *const GlApi = match level {
        #[cfg(ghostllm_level_x86_64_v4)]
        "x86_64_v4" => ffi::ghostllm_api_x86_64_v4,
        #[cfg(ghostllm_level_x86_64_v3)]
        "x86_64_v3" => ffi::ghostllm_api_x86_64_v3,
        #[cfg(ghostllm_level_baseline)]
        "baseline" => ffi::ghostllm_api_baseline,
        other => return Err(Error::CpuLevel(format!("no GhostLLM build for {other}"))),
    };
    // SAFETY: the entry point returns a pointer to a static table in the Zig library.
    let api: &'static GlApi = unsafe { &*table() };
    assert_eq!(api.abi_version, ffi::GL_ABI_VERSION, "ghostllm ABI version");
    Ok((level, api))
}

/// The function table of the CPU level in use (the same level ZCrypto picked).
pub fn api() -> Result<(&'static str, &'static GlApi), Error> {
    static API: std::sync::OnceLock<Result<(&'static str, &'static GlApi), Error>> =
        std::sync::OnceLock::new();
    API.get_or_init(select_api).clone()
}

/// A read-only private mapping of the model file.
struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and lives until drop.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    fn open(path: &Path) -> Result<Mapping, Error> {
        let file = File::open(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        let len = file
            .metadata()
            .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?
            .len();
        if len == 0 {
            return Err(Error::InvalidModel("the file is empty".into()));
        }
        let len = usize::try_from(len).map_err(|_| Error::Io("the file is too large".into()))?;
        // SAFETY: a fresh read-only private mapping of an open file; checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::Io(format!(
                "{}: mmap failed: {}",
                path.display(),
                std::io::Error::last_os_error()
            )));
        }
        Ok(Mapping { ptr, len })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes until drop.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping the region mapped in `open`, used by nothing after this.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// Options of [`Model::load`].
pub struct LoadOptions<'a> {
    /// Threads of the forward pass, the calling thread included (1..=64).
    pub threads: u32,
    /// Set to cancel loading.
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for LoadOptions<'_> {
    fn default() -> Self {
        LoadOptions {
            threads: 1,
            cancel: None,
        }
    }
}

/// Sizes of the model, from its GGUF metadata.
pub type ModelInfo = ffi::GlModelInfo;

/// A metadata value of the GGUF file.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// A string.
    Text(String),
    /// An integer.
    Int(f64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

struct Inner {
    api: &'static GlApi,
    level: &'static str,
    ptr: *mut GlModel,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// Forward passes on one model take turns on its pool.
    compute: Mutex<()>,
    info: ModelInfo,
    file_size: u64,
    path: PathBuf,
    // Dropped after the model (fields drop in order): the weights point into it.
    _map: Mapping,
}

// SAFETY: the Zig model is immutable after load except for its pool, whose use is
// serialised by `compute`; tokenizer calls only read it.
unsafe impl Send for Inner {}
unsafe impl Sync for Inner {}

impl Drop for Inner {
    fn drop(&mut self) {
        // SAFETY: no sequence is alive (each holds an Arc), so the pool is idle.
        unsafe { (self.api.pool_stop)(self.ptr) };
        for w in self.workers.get_mut().unwrap().drain(..) {
            let _ = w.join();
        }
        // SAFETY: the workers returned; nothing uses the model any more.
        unsafe { (self.api.model_free)(self.ptr) };
    }
}

struct SendPtr(*mut GlModel);
// SAFETY: the worker only passes the pointer back to the Zig pool, which lives until
// the worker has been joined.
unsafe impl Send for SendPtr {}

/// A loaded model. Cheap to clone (shared).
#[derive(Clone)]
pub struct Model {
    inner: Arc<Inner>,
}

impl Model {
    /// Maps, validates and opens a GGUF model.
    pub fn load(path: impl AsRef<Path>, options: &LoadOptions<'_>) -> Result<Model, Error> {
        Self::load_with(path.as_ref(), options.threads, None, options.cancel)
    }

    /// Like [`Model::load`], reporting progress to `on_progress`.
    pub fn load_with(
        path: &Path,
        threads: u32,
        mut on_progress: Option<&mut dyn FnMut(f64)>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Model, Error> {
        if !(1..=64).contains(&threads) {
            return Err(Error::Params("threads must be 1..64".into()));
        }
        let (level, api) = api()?;
        let map = Mapping::open(path)?;
        let bytes = map.bytes();
        // Read every page once (the progress the user sees), so the first tokens do not
        // stall on page faults; cancellation is checked between chunks.
        let chunk = 4 << 20;
        let mut sum = 0u8;
        for (i, part) in bytes.chunks(chunk).enumerate() {
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Aborted);
            }
            for page in part.iter().step_by(4096) {
                sum = sum.wrapping_add(*page);
            }
            if let Some(cb) = on_progress.as_deref_mut() {
                cb(((i + 1) * chunk).min(bytes.len()) as f64 / bytes.len() as f64 * 0.95);
            }
        }
        std::hint::black_box(sum);
        let mut err = [0 as c_char; 512];
        let mut ptr = std::ptr::null_mut();
        // SAFETY: `bytes` outlives the model (it is kept in `Inner`); `err` is writable.
        let code = unsafe {
            (api.model_load)(
                bytes.as_ptr(),
                bytes.len(),
                threads,
                &mut ptr,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        if code != ffi::GL_OK {
            // SAFETY: the engine NUL-terminates the message.
            let message = unsafe { CStr::from_ptr(err.as_ptr()) }
                .to_string_lossy()
                .into_owned();
            return Err(status(code, &message).unwrap_err());
        }
        let mut info = ModelInfo::default();
        // SAFETY: `ptr` is a live model.
        unsafe { (api.model_info)(ptr, &mut info) };
        let count = unsafe { (api.pool_threads)(ptr) };
        let inner = Arc::new(Inner {
            api,
            level,
            ptr,
            workers: Mutex::new(Vec::new()),
            compute: Mutex::new(()),
            info,
            file_size: bytes.len() as u64,
            path: path.to_path_buf(),
            _map: map,
        });
        for index in 1..count {
            let model = SendPtr(ptr);
            let spawned = std::thread::Builder::new()
                .name(format!("ghostllm-{index}"))
                .spawn(move || {
                    let model = model;
                    // SAFETY: the model outlives the worker (joined in `Inner::drop`).
                    unsafe { (api.pool_worker)(model.0, index) }
                });
            match spawned {
                Ok(handle) => inner.workers.lock().unwrap().push(handle),
                Err(e) => {
                    // Workers that did start must be stopped before the model goes.
                    drop(inner);
                    return Err(Error::Io(format!("cannot start a worker thread: {e}")));
                }
            }
        }
        if let Some(cb) = on_progress {
            cb(1.0);
        }
        Ok(Model { inner })
    }

    /// Sizes from the metadata.
    pub fn info(&self) -> ModelInfo {
        self.inner.info
    }

    /// The CPU level of the kernels in use.
    pub fn cpu_level(&self) -> &'static str {
        self.inner.level
    }

    /// Threads of the forward pass.
    pub fn threads(&self) -> u32 {
        // SAFETY: a live model.
        unsafe { (self.inner.api.pool_threads)(self.inner.ptr) }
    }

    /// Bytes of the file.
    pub fn file_size(&self) -> u64 {
        self.inner.file_size
    }

    /// The file the model was loaded from.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Every metadata entry with a scalar or string value.
    pub fn metadata(&self) -> Vec<(String, MetaValue)> {
        let api = self.inner.api;
        let ptr = self.inner.ptr;
        // SAFETY: a live model; the returned slices point into the mapped file.
        let count = unsafe { (api.meta_count)(ptr) };
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let (mut key, mut key_len, mut text, mut text_len, mut number) =
                (std::ptr::null(), 0usize, std::ptr::null(), 0usize, 0f64);
            let kind = unsafe {
                (api.meta_at)(
                    ptr,
                    i,
                    &mut key,
                    &mut key_len,
                    &mut text,
                    &mut text_len,
                    &mut number,
                )
            };
            let key = String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(key, key_len) })
                .into_owned();
            let value = match kind {
                ffi::GL_META_STRING => MetaValue::Text(
                    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(text, text_len) })
                        .into_owned(),
                ),
                ffi::GL_META_INT => MetaValue::Int(number),
                ffi::GL_META_FLOAT => MetaValue::Float(number),
                ffi::GL_META_BOOL => MetaValue::Bool(number != 0.0),
                _ => continue,
            };
            out.push((key, value));
        }
        out
    }

    /// The chat template family detected from the metadata ("gemma", "llama3"…).
    pub fn chat_template_name(&self) -> Option<&'static str> {
        // SAFETY: a static NUL-terminated string or null.
        let name = unsafe { (self.inner.api.chat_template_name)(self.inner.ptr) };
        if name.is_null() {
            return None;
        }
        unsafe { CStr::from_ptr(name) }.to_str().ok()
    }

    /// Token ids of `text`, as llama.cpp's `llama_tokenize`.
    pub fn tokenize(
        &self,
        text: &str,
        add_special: bool,
        parse_special: bool,
    ) -> Result<Vec<u32>, Error> {
        let mut out = vec![0u32; text.len() + 8];
        loop {
            // SAFETY: `out` has `out.len()` writable slots.
            let n = unsafe {
                (self.inner.api.tokenize)(
                    self.inner.ptr,
                    text.as_ptr(),
                    text.len(),
                    add_special as i32,
                    parse_special as i32,
                    out.as_mut_ptr(),
                    out.len(),
                )
            };
            if n < 0 {
                return Err(status(n as i32, "tokenize").unwrap_err());
            }
            let n = n as usize;
            if n <= out.len() {
                out.truncate(n);
                return Ok(out);
            }
            out.resize(n, 0);
        }
    }

    /// Text of `ids` (control tokens rendered only when `special`).
    pub fn detokenize(&self, ids: &[u32], special: bool) -> Result<String, Error> {
        let mut out = vec![0u8; ids.len() * 8 + 16];
        loop {
            // SAFETY: `out` has `out.len()` writable bytes.
            let n = unsafe {
                (self.inner.api.detokenize)(
                    self.inner.ptr,
                    ids.as_ptr(),
                    ids.len(),
                    special as i32,
                    out.as_mut_ptr(),
                    out.len(),
                )
            };
            if n < 0 {
                return Err(status(n as i32, "detokenize").unwrap_err());
            }
            let n = n as usize;
            if n <= out.len() {
                out.truncate(n);
                return Ok(String::from_utf8_lossy(&out).into_owned());
            }
            out.resize(n, 0);
        }
    }

    /// A new sequence with its own KV cache.
    pub fn sequence(&self, options: &SequenceOptions) -> Result<Sequence, Error> {
        if options.context_size == 0 || options.context_size > 1 << 20 {
            return Err(Error::Params("contextSize must be 1..1048576".into()));
        }
        let mut seq = std::ptr::null_mut();
        // SAFETY: a live model; the options are plain values.
        let code = unsafe {
            (self.inner.api.gen_create)(
                self.inner.ptr,
                options.context_size,
                options.batch_size.max(1),
                &options.sampling,
                &mut seq,
            )
        };
        status(code, "sampling options out of range")?;
        Ok(Sequence {
            model: self.clone(),
            seq,
            context: options.context_size,
        })
    }
}

/// Renders chat messages `(role, content)` with a template family by name.
pub fn chat_render(
    template: &str,
    messages: &[(&str, &str)],
    add_assistant: bool,
) -> Result<String, Error> {
    let (_, api) = api()?;
    let roles: Vec<*const u8> = messages.iter().map(|m| m.0.as_ptr()).collect();
    let role_lens: Vec<usize> = messages.iter().map(|m| m.0.len()).collect();
    let contents: Vec<*const u8> = messages.iter().map(|m| m.1.as_ptr()).collect();
    let content_lens: Vec<usize> = messages.iter().map(|m| m.1.len()).collect();
    let mut out = vec![0u8; 4096];
    loop {
        // SAFETY: every pointer/length pair describes a live slice.
        let n = unsafe {
            (api.chat_render)(
                template.as_ptr(),
                template.len(),
                roles.as_ptr(),
                role_lens.as_ptr(),
                contents.as_ptr(),
                content_lens.as_ptr(),
                messages.len(),
                add_assistant as i32,
                out.as_mut_ptr(),
                out.len(),
            )
        };
        if n < 0 {
            return Err(match n as i32 {
                ffi::GL_ERR_UNSUPPORTED => {
                    Error::Unsupported(format!("unknown chat template {template:?}"))
                }
                other => status(other, "chat template").unwrap_err(),
            });
        }
        let n = n as usize;
        if n <= out.len() {
            out.truncate(n);
            return Ok(String::from_utf8_lossy(&out).into_owned());
        }
        out.resize(n, 0);
    }
}

/// Options of a [`Sequence`].
#[derive(Debug, Clone, Copy)]
pub struct SequenceOptions {
    /// Tokens the KV cache holds.
    pub context_size: u32,
    /// Tokens per forward batch while reading a prompt.
    pub batch_size: u32,
    /// Sampling parameters.
    pub sampling: ffi::GlSampling,
}

impl SequenceOptions {
    /// Greedy decoding (argmax) with a context of `context_size` tokens.
    pub fn greedy(context_size: u32) -> SequenceOptions {
        SequenceOptions {
            context_size,
            batch_size: 64,
            sampling: ffi::GlSampling {
                temperature: 0.0,
                top_p: 1.0,
                min_p: 0.0,
                repeat_penalty: 1.0,
                presence_penalty: 0.0,
                frequency_penalty: 0.0,
                top_k: 0,
                penalty_last_n: 64,
                seed: 0,
            },
        }
    }
}

/// One generation: KV cache, sampler, streaming detokenizer.
pub struct Sequence {
    model: Model,
    seq: *mut GlGen,
    context: u32,
}

// SAFETY: a sequence is used by one thread at a time (`&mut self`); its forward passes
// take the model's `compute` lock.
unsafe impl Send for Sequence {}

impl Sequence {
    /// Appends `ids` and computes the logits after the last one.
    pub fn eval(&mut self, ids: &[u32]) -> Result<(), Error> {
        if ids.is_empty() {
            return Err(Error::Params("no tokens to evaluate".into()));
        }
        let inner = &self.model.inner;
        let _turn = inner.compute.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: a live sequence; the pool is ours while `_turn` is held.
        let code = unsafe { (inner.api.gen_eval)(self.seq, ids.as_ptr(), ids.len()) };
        status(code, "eval")
    }

    /// Tokens in the KV cache.
    pub fn position(&self) -> u32 {
        // SAFETY: a live sequence.
        unsafe { (self.model.inner.api.gen_position)(self.seq) }
    }

    /// Native memory this sequence holds.
    pub fn memory_bytes(&self) -> usize {
        // SAFETY: a live sequence.
        unsafe { (self.model.inner.api.gen_memory)(self.seq) }
    }

    /// The logits after the last [`Sequence::eval`].
    pub fn logits(&self) -> &[f32] {
        // SAFETY: the engine keeps n_vocab logits for the sequence's lifetime.
        unsafe {
            std::slice::from_raw_parts(
                (self.model.inner.api.gen_logits)(self.seq),
                self.model.inner.info.n_vocab as usize,
            )
        }
    }

    /// Samples the next id; `true` when it ends generation (EOS/EOT).
    pub fn sample(&mut self) -> Result<(u32, bool), Error> {
        let (mut id, mut eog) = (0u32, 0i32);
        // SAFETY: a live sequence.
        let code = unsafe { (self.model.inner.api.gen_sample)(self.seq, &mut id, &mut eog) };
        status(code, "sample before any eval")?;
        Ok((id, eog != 0))
    }

    /// The text of `id`, never splitting a UTF-8 character across calls.
    pub fn piece(&mut self, id: u32) -> Result<String, Error> {
        let mut text = std::ptr::null();
        // SAFETY: a live sequence; the text stays valid until the next call.
        let n = unsafe { (self.model.inner.api.gen_piece)(self.seq, id, &mut text) };
        self.text_of(n, text)
    }

    /// Ends the text stream: an unfinished character becomes U+FFFD.
    pub fn finish(&mut self) -> Result<String, Error> {
        let mut text = std::ptr::null();
        // SAFETY: as `piece`.
        let n = unsafe { (self.model.inner.api.gen_finish)(self.seq, &mut text) };
        self.text_of(n, text)
    }

    fn text_of(&self, n: i64, text: *const u8) -> Result<String, Error> {
        if n < 0 {
            return Err(status(n as i32, "piece").unwrap_err());
        }
        if n == 0 {
            return Ok(String::new());
        }
        // SAFETY: the engine returned `n` bytes at `text` (complete UTF-8 characters).
        let bytes = unsafe { std::slice::from_raw_parts(text, n as usize) };
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

impl Drop for Sequence {
    fn drop(&mut self) {
        // SAFETY: the sequence is not used after this.
        unsafe { (self.model.inner.api.gen_free)(self.seq) };
    }
}

/// Why [`Sequence::generate`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// An end-of-generation token (EOS/EOT) was sampled.
    Eos,
    /// `max_tokens` were generated.
    MaxTokens,
    /// The cancel flag was set.
    Abort,
    /// The KV cache is full.
    ContextFull,
    /// The token callback asked to stop.
    Stopped,
}

/// Counts and times of a generation.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenerationStats {
    /// Prompt tokens evaluated.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub generated_tokens: u32,
    /// Milliseconds spent on the prompt.
    pub prompt_ms: f64,
    /// Milliseconds spent generating.
    pub decode_ms: f64,
}

/// The end of a generation.
#[derive(Debug, Clone)]
pub struct GenerationEnd {
    /// Why it stopped.
    pub reason: StopReason,
    /// Counts and times.
    pub stats: GenerationStats,
    /// Text held back by the UTF-8 stream decoder (U+FFFD for an unfinished character).
    pub tail: String,
}

impl Sequence {
    /// Evaluates `prompt`, then samples up to `max_tokens` tokens, calling `on_token`
    /// with each id and its text (complete UTF-8 characters only); `on_token` returns
    /// false to stop. `cancel` is checked before every token.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        max_tokens: u32,
        cancel: &AtomicBool,
        mut on_token: impl FnMut(u32, &str) -> bool,
    ) -> Result<GenerationEnd, Error> {
        let mut stats = GenerationStats {
            prompt_tokens: prompt.len() as u32,
            ..Default::default()
        };
        let started = std::time::Instant::now();
        self.eval(prompt)?;
        stats.prompt_ms = started.elapsed().as_secs_f64() * 1e3;
        let context = self.context_size();
        let decode_start = std::time::Instant::now();
        let reason = loop {
            if cancel.load(Ordering::Relaxed) {
                break StopReason::Abort;
            }
            if stats.generated_tokens >= max_tokens {
                break StopReason::MaxTokens;
            }
            let (id, end) = self.sample()?;
            if end {
                break StopReason::Eos;
            }
            let text = self.piece(id)?;
            stats.generated_tokens += 1;
            if !on_token(id, &text) {
                break StopReason::Stopped;
            }
            if stats.generated_tokens >= max_tokens {
                break StopReason::MaxTokens;
            }
            if self.position() >= context {
                break StopReason::ContextFull;
            }
            self.eval(&[id])?;
        };
        stats.decode_ms = decode_start.elapsed().as_secs_f64() * 1e3;
        let tail = self.finish()?;
        Ok(GenerationEnd {
            reason,
            stats,
            tail,
        })
    }

    fn context_size(&self) -> u32 {
        self.context
    }
}
