//! `ghostkit/llm`: argument conversion over `ghostkit::llm`.
//!
//! Loading and logits run on the libuv pool (`AsyncTask`); a generation runs on its own
//! thread. Its tokens go into a small outbox and JS takes everything there in one event-
//! loop turn (one ThreadsafeFunction call per batch, never more than one queued): the
//! generation computes ahead of JS by at most `AHEAD` tokens, then waits for JS. Errors
//! carry their code as a `ERR_GHOSTKIT_LLM_*: ` message prefix, which `lib/llm.js` turns
//! into a typed error.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use ghostkit::llm::{self as core, Error, MetaValue, Model, SequenceOptions, StopReason};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

fn code_of(error: &Error) -> &'static str {
    match error {
        Error::Io(_) => "ERR_GHOSTKIT_LLM_IO",
        Error::InvalidModel(_) => "ERR_GHOSTKIT_LLM_INVALID_MODEL",
        Error::Unsupported(_) => "ERR_GHOSTKIT_LLM_UNSUPPORTED",
        Error::NoMemory => "ERR_GHOSTKIT_LLM_NO_MEMORY",
        Error::ContextFull => "ERR_GHOSTKIT_LLM_CONTEXT_FULL",
        Error::BadToken => "ERR_GHOSTKIT_LLM_BAD_TOKEN",
        Error::Params(_) => "ERR_GHOSTKIT_INVALID_ARG_VALUE",
        Error::Aborted => "ERR_GHOSTKIT_LLM_ABORTED",
        Error::CpuLevel(_) => "ERR_GHOSTKIT_CPU_LEVEL",
    }
}

fn to_napi(error: Error) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("{}: {error}", code_of(&error)),
    )
}

const DISPOSED: &str = "ERR_GHOSTKIT_LLM_DISPOSED: the model was disposed";

/// Tokens a generation computes ahead of JS at most; it waits for JS beyond this.
const AHEAD: usize = 32;

/// What a generation has produced and JS has not taken yet.
#[derive(Default)]
struct Outbox {
    ids: Vec<u32>,
    texts: Vec<String>,
    end: Option<LlmEvent>,
    /// A delivery is queued on the ThreadsafeFunction and has not run yet.
    scheduled: bool,
}

#[derive(Default)]
struct GateState {
    /// Set by `lib/llm.js` while its async-iterator queue is over its high-water mark.
    paused: bool,
    outbox: Outbox,
}

/// The hand-off between a generation thread and JS: the outbox, the pause flag, and
/// the condition the generation waits on (room in the outbox, resume, or cancel).
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a token; true when JS must be called to take the outbox.
    fn push_token(&self, id: u32, text: &str) -> bool {
        let mut state = self.lock();
        state.outbox.ids.push(id);
        state.outbox.texts.push(text.into());
        !std::mem::replace(&mut state.outbox.scheduled, true)
    }

    /// Queues the end (or error) event; true when JS must be called.
    fn push_end(&self, event: LlmEvent) -> bool {
        let mut state = self.lock();
        state.outbox.end = Some(event);
        !std::mem::replace(&mut state.outbox.scheduled, true)
    }

    /// Waits while JS is `AHEAD` tokens behind or has paused us, unless cancelled.
    fn wait_room(&self, cancel: &AtomicBool) {
        let mut state = self.lock();
        while !cancel.load(Ordering::Relaxed) && (state.paused || state.outbox.ids.len() >= AHEAD) {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Everything in the outbox, for JS (called on the JS thread).
    fn take(&self) -> LlmBatch {
        let batch = {
            let mut state = self.lock();
            let outbox = &mut state.outbox;
            outbox.scheduled = false;
            LlmBatch {
                ids: std::mem::take(&mut outbox.ids),
                texts: std::mem::take(&mut outbox.texts),
                end: outbox.end.take(),
            }
        };
        self.changed.notify_all();
        batch
    }
}

/// A cancellation flag (and the hand-off gate) shared with native work.
#[napi]
pub struct LlmCancel {
    flag: Arc<AtomicBool>,
    gate: Arc<Gate>,
}

#[napi]
impl LlmCancel {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        LlmCancel {
            flag: Arc::new(AtomicBool::new(false)),
            gate: Arc::new(Gate::default()),
        }
    }

    /// Stops the generation before its next token (a waiting one wakes at once).
    #[napi]
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
        let _state = self.gate.lock();
        self.gate.changed.notify_all();
    }

    /// Holds the generation before its next token until `set_paused(false)`.
    #[napi]
    pub fn set_paused(&self, paused: bool) {
        self.gate.lock().paused = paused;
        self.gate.changed.notify_all();
    }
}

type ProgressFn = ThreadsafeFunction<f64, (), f64, Status, false>;

pub struct LoadTask {
    path: PathBuf,
    threads: u32,
    progress: Option<ProgressFn>,
    cancel: Arc<AtomicBool>,
}

impl Task for LoadTask {
    type Output = Model;
    type JsValue = LlmModel;

    fn compute(&mut self) -> Result<Self::Output> {
        let progress = self.progress.take();
        let mut report = |p: f64| {
            if let Some(tsfn) = &progress {
                tsfn.call(p, ThreadsafeFunctionCallMode::NonBlocking);
            }
        };
        Model::load_with(
            &self.path,
            self.threads,
            Some(&mut report),
            Some(&self.cancel),
        )
        .map_err(to_napi)
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        let external = output.file_size() as i64;
        env.adjust_external_memory(external)?;
        Ok(LlmModel {
            model: Some(output),
            external,
        })
    }
}

/// Loads a GGUF model off the JS thread.
#[napi(ts_return_type = "Promise<LlmModel>")]
pub fn llm_load(
    path: String,
    threads: u32,
    on_progress: Option<ProgressFn>,
    cancel: &LlmCancel,
) -> AsyncTask<LoadTask> {
    AsyncTask::new(LoadTask {
        path: PathBuf::from(path),
        threads,
        progress: on_progress,
        cancel: cancel.flag.clone(),
    })
}

/// Renders chat messages with a template family by name.
#[napi]
pub fn llm_chat_render(
    template: String,
    roles: Vec<String>,
    contents: Vec<String>,
    add_assistant: bool,
) -> Result<String> {
    if roles.len() != contents.len() {
        return Err(napi::Error::new(
            Status::InvalidArg,
            "roles and contents differ in length",
        ));
    }
    let messages: Vec<(&str, &str)> = roles
        .iter()
        .zip(&contents)
        .map(|(r, c)| (r.as_str(), c.as_str()))
        .collect();
    core::chat_render(&template, &messages, add_assistant).map_err(to_napi)
}

#[napi(object)]
pub struct LlmInfo {
    pub vocab_size: u32,
    pub train_context_length: u32,
    pub embedding_length: u32,
    pub layer_count: u32,
    pub head_count: u32,
    pub head_count_kv: u32,
    pub feed_forward_length: u32,
    pub bos_token_id: i32,
    pub eos_token_id: i32,
    pub weight_bytes: f64,
    pub file_size: f64,
    pub threads: u32,
    pub cpu_level: String,
    pub chat_template_name: Option<String>,
}

#[napi(object)]
pub struct LlmMeta {
    pub key: String,
    pub text: Option<String>,
    pub number: Option<f64>,
    pub boolean: Option<bool>,
}

#[napi(object)]
pub struct LlmSampling {
    pub temperature: f64,
    pub top_k: u32,
    pub top_p: f64,
    pub min_p: f64,
    pub repeat_penalty: f64,
    pub repeat_last_n: u32,
    pub presence_penalty: f64,
    pub frequency_penalty: f64,
    pub seed: f64,
    pub max_tokens: u32,
    pub context_size: u32,
    pub batch_size: u32,
}

/// The end of a generation: `kind` is "end" or "error".
#[napi(object)]
pub struct LlmEvent {
    pub kind: String,
    pub text: Option<String>,
    pub reason: Option<String>,
    pub prompt_tokens: Option<u32>,
    pub generated_tokens: Option<u32>,
    pub prompt_ms: Option<f64>,
    pub decode_ms: Option<f64>,
    pub memory_bytes: Option<f64>,
}

impl LlmEvent {
    fn new(kind: &str) -> LlmEvent {
        LlmEvent {
            kind: kind.into(),
            text: None,
            reason: None,
            prompt_tokens: None,
            generated_tokens: None,
            prompt_ms: None,
            decode_ms: None,
            memory_bytes: None,
        }
    }
}

/// Tokens (in order) and possibly the end event, delivered to JS in one call.
#[napi(object)]
pub struct LlmBatch {
    pub ids: Vec<u32>,
    pub texts: Vec<String>,
    pub end: Option<LlmEvent>,
}

/// A delivery: converted on the JS thread, it takes whatever the outbox holds by then,
/// so tokens produced while JS was busy arrive together.
pub struct Delivery(Arc<Gate>);

impl ToNapiValue for Delivery {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        // SAFETY: called by napi-rs on the JS thread with a live env.
        unsafe { LlmBatch::to_napi_value(env, val.0.take()) }
    }
}

/// At most one delivery is queued at a time (and the end's); the bound is never reached.
type EventFn = ThreadsafeFunction<Delivery, (), Delivery, Status, false, false, 4>;

fn reason_name(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Eos => "eos",
        StopReason::MaxTokens => "maxTokens",
        StopReason::Abort => "abort",
        StopReason::ContextFull => "contextFull",
        StopReason::Stopped => "stop",
    }
}

fn sequence_options(s: &LlmSampling) -> SequenceOptions {
    let mut options = SequenceOptions::greedy(s.context_size);
    options.batch_size = s.batch_size;
    options.sampling = core::ffi::GlSampling {
        temperature: s.temperature as f32,
        top_p: s.top_p as f32,
        min_p: s.min_p as f32,
        repeat_penalty: s.repeat_penalty as f32,
        presence_penalty: s.presence_penalty as f32,
        frequency_penalty: s.frequency_penalty as f32,
        top_k: s.top_k,
        penalty_last_n: s.repeat_last_n,
        seed: s.seed as u64,
    };
    options
}

pub struct LogitsTask {
    model: Model,
    ids: Vec<u32>,
    options: SequenceOptions,
}

impl Task for LogitsTask {
    type Output = Vec<f32>;
    type JsValue = Float32Array;

    fn compute(&mut self) -> Result<Self::Output> {
        let mut seq = self.model.sequence(&self.options).map_err(to_napi)?;
        seq.eval(&self.ids).map_err(to_napi)?;
        Ok(seq.logits().to_vec())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Float32Array::new(output))
    }
}

/// A loaded model (`lib/llm.js` wraps it in `Model`).
#[napi]
pub struct LlmModel {
    model: Option<Model>,
    /// Bytes reported to V8 as external memory (the mapped weights).
    external: i64,
}

#[napi]
impl LlmModel {
    fn get(&self) -> Result<&Model> {
        self.model
            .as_ref()
            .ok_or_else(|| napi::Error::new(Status::GenericFailure, DISPOSED))
    }

    #[napi]
    pub fn info(&self) -> Result<LlmInfo> {
        let m = self.get()?;
        let i = m.info();
        Ok(LlmInfo {
            vocab_size: i.n_vocab,
            train_context_length: i.n_ctx_train,
            embedding_length: i.n_embd,
            layer_count: i.n_layer,
            head_count: i.n_head,
            head_count_kv: i.n_head_kv,
            feed_forward_length: i.n_ff,
            bos_token_id: i.bos,
            eos_token_id: i.eos,
            weight_bytes: i.weight_bytes as f64,
            file_size: m.file_size() as f64,
            threads: m.threads(),
            cpu_level: m.cpu_level().into(),
            chat_template_name: m.chat_template_name().map(Into::into),
        })
    }

    #[napi]
    pub fn metadata(&self) -> Result<Vec<LlmMeta>> {
        Ok(self
            .get()?
            .metadata()
            .into_iter()
            .map(|(key, value)| {
                let mut meta = LlmMeta {
                    key,
                    text: None,
                    number: None,
                    boolean: None,
                };
                match value {
                    MetaValue::Text(t) => meta.text = Some(t),
                    MetaValue::Int(n) | MetaValue::Float(n) => meta.number = Some(n),
                    MetaValue::Bool(b) => meta.boolean = Some(b),
                }
                meta
            })
            .collect())
    }

    #[napi]
    pub fn tokenize(
        &self,
        text: String,
        add_special: bool,
        parse_special: bool,
    ) -> Result<Vec<u32>> {
        self.get()?
            .tokenize(&text, add_special, parse_special)
            .map_err(to_napi)
    }

    #[napi]
    pub fn detokenize(&self, ids: Vec<u32>, special: bool) -> Result<String> {
        self.get()?.detokenize(&ids, special).map_err(to_napi)
    }

    #[napi(ts_return_type = "Promise<Float32Array>")]
    pub fn logits(&self, ids: Vec<u32>, context_size: u32) -> Result<AsyncTask<LogitsTask>> {
        let model = self.get()?.clone();
        let mut options = SequenceOptions::greedy(context_size);
        options.batch_size = 64;
        Ok(AsyncTask::new(LogitsTask {
            model,
            ids,
            options,
        }))
    }

    /// Starts a generation on its own thread; batches of tokens arrive through
    /// `on_batch`, the last one with `end` set.
    #[napi(
        ts_args_type = "ids: number[], sampling: LlmSampling, cancel: LlmCancel, onBatch: (batch: LlmBatch) => void"
    )]
    pub fn generate(
        &self,
        ids: Vec<u32>,
        sampling: LlmSampling,
        cancel: &LlmCancel,
        on_batch: EventFn,
    ) -> Result<()> {
        let model = self.get()?.clone();
        let options = sequence_options(&sampling);
        if ids.is_empty() {
            return Err(to_napi(Error::Params("the prompt has no tokens".into())));
        }
        if ids.len() > options.context_size as usize {
            return Err(to_napi(Error::ContextFull));
        }
        let mut seq = model.sequence(&options).map_err(to_napi)?;
        let flag = cancel.flag.clone();
        let gate = cancel.gate.clone();
        let max_tokens = sampling.max_tokens;
        std::thread::Builder::new()
            .name("ghostllm-generate".into())
            .spawn(move || {
                let memory = seq.memory_bytes() as f64;
                let deliver = || {
                    on_batch.call(Delivery(gate.clone()), ThreadsafeFunctionCallMode::Blocking)
                        == Status::Ok
                };
                let result = seq.generate(&ids, max_tokens, &flag, |id, text| {
                    if gate.push_token(id, text) && !deliver() {
                        return false;
                    }
                    gate.wait_room(&flag);
                    true
                });
                let event = match result {
                    Ok(end) => {
                        let mut event = LlmEvent::new("end");
                        event.reason = Some(reason_name(end.reason).into());
                        event.text = Some(end.tail);
                        event.prompt_tokens = Some(end.stats.prompt_tokens);
                        event.generated_tokens = Some(end.stats.generated_tokens);
                        event.prompt_ms = Some(end.stats.prompt_ms);
                        event.decode_ms = Some(end.stats.decode_ms);
                        event.memory_bytes = Some(memory);
                        event
                    }
                    Err(e) => {
                        let mut event = LlmEvent::new("error");
                        event.text = Some(format!("{}: {e}", code_of(&e)));
                        event
                    }
                };
                drop(seq);
                if gate.push_end(event) {
                    deliver();
                }
            })
            .map_err(|e| napi::Error::new(Status::GenericFailure, e.to_string()))?;
        Ok(())
    }

    /// Drops this handle; the weights go when the last running generation ends.
    #[napi]
    pub fn dispose(&mut self, env: Env) -> Result<()> {
        if self.model.take().is_some() {
            env.adjust_external_memory(-self.external)?;
        }
        Ok(())
    }
}
