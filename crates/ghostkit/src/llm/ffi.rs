//! The raw C ABI of `zig/include/ghostllm.h`, mirrored field for field.

#![allow(missing_docs)]

use std::ffi::{c_char, c_int};

pub const GL_ABI_VERSION: u32 = 1;

pub const GL_OK: c_int = 0;
pub const GL_ERR_INVALID: c_int = -1;
pub const GL_ERR_UNSUPPORTED: c_int = -2;
pub const GL_ERR_NOMEM: c_int = -3;
pub const GL_ERR_CONTEXT_FULL: c_int = -4;
pub const GL_ERR_BAD_TOKEN: c_int = -5;
pub const GL_ERR_PARAMS: c_int = -6;

pub const GL_META_OTHER: c_int = 0;
pub const GL_META_STRING: c_int = 1;
pub const GL_META_INT: c_int = 2;
pub const GL_META_FLOAT: c_int = 3;
pub const GL_META_BOOL: c_int = 4;

#[repr(C)]
pub struct GlModel {
    _private: [u8; 0],
}

#[repr(C)]
pub struct GlGen {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct GlModelInfo {
    pub n_vocab: u32,
    pub n_ctx_train: u32,
    pub n_embd: u32,
    pub n_layer: u32,
    pub n_head: u32,
    pub n_head_kv: u32,
    pub n_ff: u32,
    pub bos: i32,
    pub eos: i32,
    pub weight_bytes: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct GlSampling {
    pub temperature: f32,
    pub top_p: f32,
    pub min_p: f32,
    pub repeat_penalty: f32,
    pub presence_penalty: f32,
    pub frequency_penalty: f32,
    pub top_k: u32,
    pub penalty_last_n: u32,
    pub seed: u64,
}

/// `struct gl_api`: one table of function pointers per CPU level.
#[repr(C)]
pub struct GlApi {
    pub abi_version: u32,
    pub level: *const c_char,
    pub model_load: unsafe extern "C" fn(
        data: *const u8,
        len: usize,
        threads: u32,
        out: *mut *mut GlModel,
        err: *mut c_char,
        err_cap: usize,
    ) -> c_int,
    pub model_free: unsafe extern "C" fn(model: *mut GlModel),
    pub model_info: unsafe extern "C" fn(model: *const GlModel, info: *mut GlModelInfo),
    pub meta_count: unsafe extern "C" fn(model: *const GlModel) -> usize,
    pub meta_at: unsafe extern "C" fn(
        model: *const GlModel,
        i: usize,
        key: *mut *const u8,
        key_len: *mut usize,
        text: *mut *const u8,
        text_len: *mut usize,
        number: *mut f64,
    ) -> c_int,
    pub chat_template_name: unsafe extern "C" fn(model: *const GlModel) -> *const c_char,
    pub pool_threads: unsafe extern "C" fn(model: *const GlModel) -> u32,
    pub pool_worker: unsafe extern "C" fn(model: *mut GlModel, index: u32),
    pub pool_stop: unsafe extern "C" fn(model: *mut GlModel),
    pub tokenize: unsafe extern "C" fn(
        model: *const GlModel,
        text: *const u8,
        len: usize,
        add_special: c_int,
        parse_special: c_int,
        out: *mut u32,
        cap: usize,
    ) -> i64,
    pub detokenize: unsafe extern "C" fn(
        model: *const GlModel,
        ids: *const u32,
        n: usize,
        special: c_int,
        out: *mut u8,
        cap: usize,
    ) -> i64,
    pub chat_render: unsafe extern "C" fn(
        name: *const u8,
        name_len: usize,
        roles: *const *const u8,
        role_lens: *const usize,
        contents: *const *const u8,
        content_lens: *const usize,
        n: usize,
        add_assistant: c_int,
        out: *mut u8,
        cap: usize,
    ) -> i64,
    pub gen_create: unsafe extern "C" fn(
        model: *mut GlModel,
        n_ctx: u32,
        n_batch: u32,
        sampling: *const GlSampling,
        out: *mut *mut GlGen,
    ) -> c_int,
    pub gen_free: unsafe extern "C" fn(seq: *mut GlGen),
    pub gen_memory: unsafe extern "C" fn(seq: *const GlGen) -> usize,
    pub gen_position: unsafe extern "C" fn(seq: *const GlGen) -> u32,
    pub gen_eval: unsafe extern "C" fn(seq: *mut GlGen, ids: *const u32, n: usize) -> c_int,
    pub gen_logits: unsafe extern "C" fn(seq: *const GlGen) -> *const f32,
    pub gen_sample:
        unsafe extern "C" fn(seq: *mut GlGen, id: *mut u32, is_eog: *mut c_int) -> c_int,
    pub gen_piece: unsafe extern "C" fn(seq: *mut GlGen, id: u32, text: *mut *const u8) -> i64,
    pub gen_finish: unsafe extern "C" fn(seq: *mut GlGen, text: *mut *const u8) -> i64,
}

// SAFETY: the table is immutable static data in the Zig library.
unsafe impl Sync for GlApi {}
unsafe impl Send for GlApi {}

unsafe extern "C" {
    #[cfg(ghostllm_level_baseline)]
    pub fn ghostllm_api_baseline() -> *const GlApi;
    #[cfg(ghostllm_level_x86_64_v3)]
    pub fn ghostllm_api_x86_64_v3() -> *const GlApi;
    #[cfg(ghostllm_level_x86_64_v4)]
    pub fn ghostllm_api_x86_64_v4() -> *const GlApi;
}
