//! The event sink of one endpoint: the JS function that receives results of waiting
//! operations (`lib/quic.js` routes them), called on the endpoint's event loop.

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::uv::{self, Reactor};

use super::connection::QuicConnection;
use super::stream::QuicStream;

/// Event kinds (mirrored in `lib/quic.js`).
pub(crate) mod kind {
    /// An incoming connection completed its handshake (payload: connection).
    pub const CONNECTION: u32 = 1;
    /// A `connect` request finished (target: request token; payload: connection or error).
    pub const CONNECTED: u32 = 2;
    /// A peer-opened stream (target: connection; payload: stream).
    pub const STREAM: u32 = 3;
    /// A datagram (target: connection; payload: Buffer).
    pub const DATAGRAM: u32 = 4;
    /// The connection closed (target: connection; payload: error info).
    pub const CLOSED: u32 = 5;
    /// A pending read finished (target: stream; payload: Buffer, null at the end, or error).
    pub const READ: u32 = 6;
    /// A pending write finished (target: stream; payload: null or error).
    pub const WRITTEN: u32 = 7;
    /// A pending open finished (target: connection; payload: stream or error).
    pub const OPENED: u32 = 8;
    /// Whether 0-RTT was accepted (target: connection; payload: bool).
    pub const EARLY_DATA: u32 = 9;
    /// The endpoint is closed and idle (payload: null).
    pub const ENDPOINT_CLOSED: u32 = 10;
    /// An incoming connection failed its handshake (payload: error info).
    pub const HANDSHAKE_FAILED: u32 = 11;
}

/// A failure as data: the fields of a `QuicError`.
#[napi(object)]
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    /// The numeric application/transport code.
    pub error_code: Option<f64>,
    /// The reason phrase of a close.
    pub reason: Option<String>,
    /// The close kind (connections only).
    pub kind: Option<String>,
}

impl ErrorInfo {
    pub(crate) fn new(code: &str, error_code: Option<u64>, message: impl Into<String>) -> Self {
        ErrorInfo {
            code: code.into(),
            message: message.into(),
            error_code: error_code.map(|c| c as f64),
            reason: None,
            kind: None,
        }
    }

    pub(crate) fn from_close(reason: &ghostkit::quic::CloseReason) -> Self {
        ErrorInfo {
            code: reason.code().into(),
            message: reason.message.clone(),
            error_code: reason.error_code.map(|c| c as f64),
            reason: Some(reason.reason.clone()),
            kind: Some(reason.kind.into()),
        }
    }

    pub(crate) fn from_connection(error: &ghostkit::quic::quinn::ConnectionError) -> Self {
        Self::from_close(&ghostkit::quic::close_reason(error))
    }
}

/// Bytes for JS, as quinn's chunks: copied once, straight into a new Buffer.
pub struct Data(pub(crate) Vec<bytes::Bytes>);

impl Data {
    unsafe fn into_value(self, env: napi::sys::napi_env) -> Result<napi::sys::napi_value> {
        let total = self.0.iter().map(|chunk| chunk.len()).sum();
        let mut value = std::ptr::null_mut();
        let mut data = std::ptr::null_mut();
        // SAFETY: the caller is on the JS thread with `env`.
        let status = unsafe { napi::sys::napi_create_buffer(env, total, &mut data, &mut value) };
        if status != napi::sys::Status::napi_ok {
            return Err(napi::Error::from_reason("cannot allocate a Buffer"));
        }
        // SAFETY: `data` has room for `total` bytes, the sum of the chunks' lengths.
        unsafe { copy_chunks(data.cast(), &self.0) };
        Ok(value)
    }
}

/// Copies `chunks` back to back to `dst`.
///
/// # Safety
/// `dst` has room for the sum of the chunks' lengths.
pub(crate) unsafe fn copy_chunks(dst: *mut u8, chunks: &[bytes::Bytes]) {
    let mut at = dst;
    for chunk in chunks {
        // SAFETY: within the room the caller guarantees.
        unsafe {
            std::ptr::copy_nonoverlapping(chunk.as_ptr(), at, chunk.len());
            at = at.add(chunk.len());
        }
    }
}

impl ToNapiValue for Data {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> Result<napi::sys::napi_value> {
        unsafe { value.into_value(env) }
    }
}

/// What an event carries.
pub enum Payload {
    Null,
    Bool(bool),
    Data(Data),
    Error(ErrorInfo),
    Connection(QuicConnection),
    Stream(QuicStream),
}

impl ToNapiValue for Payload {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> Result<napi::sys::napi_value> {
        unsafe {
            match value {
                Payload::Null => Null::to_napi_value(env, Null),
                Payload::Bool(b) => bool::to_napi_value(env, b),
                Payload::Data(data) => data.into_value(env),
                Payload::Error(info) => ErrorInfo::to_napi_value(env, info),
                Payload::Connection(c) => QuicConnection::to_napi_value(env, c),
                Payload::Stream(s) => QuicStream::to_napi_value(env, s),
            }
        }
    }
}

/// The JS function of one endpoint and whether it keeps the process alive.
struct SinkState {
    env: napi::sys::napi_env,
    /// Reference to the event function; deleted on the loop thread once the sink is
    /// released and its queued events are delivered (the function's closure may reference
    /// the JS endpoint, which holds this sink: keeping the reference would keep both alive).
    callback: Mutex<napi::sys::napi_ref>,
    reactor: Arc<Reactor>,
    /// `(referenced, released)`.
    flags: Mutex<(bool, bool)>,
}

// SAFETY: `env` and `callback` are only used on the loop thread (`emit` queues calls that
// run there; `Drop` deletes the reference there or leaks it).
unsafe impl Send for SinkState {}
// SAFETY: as above.
unsafe impl Sync for SinkState {}

impl SinkState {
    /// Deletes the function reference (loop thread, live environment). Idempotent.
    fn forget_callback(&self) {
        let mut callback = self.callback.lock().unwrap_or_else(|e| e.into_inner());
        if !callback.is_null() && self.reactor.on_loop_thread() && uv::alive() {
            // SAFETY: loop thread, live environment, a reference created in `Sink::new`.
            unsafe { napi::sys::napi_delete_reference(self.env, *callback) };
            *callback = std::ptr::null_mut();
        }
    }
}

impl Drop for SinkState {
    fn drop(&mut self) {
        self.forget_callback();
    }
}

/// Shared handle to an endpoint's event function; silent once released.
#[derive(Clone)]
pub(crate) struct Sink(Arc<SinkState>);

impl Sink {
    pub(crate) fn new(
        env: &Env,
        callback: Function<'_, FnArgs<(u32, u32, Payload)>, ()>,
    ) -> Result<Self> {
        let reactor = uv::reactor(env.raw())?;
        let mut reference = std::ptr::null_mut();
        // SAFETY: a function value of this env, on its thread.
        let status = unsafe {
            napi::sys::napi_create_reference(
                env.raw(),
                napi::JsValue::raw(&callback),
                1,
                &mut reference,
            )
        };
        if status != napi::sys::Status::napi_ok {
            return Err(napi::Error::from_reason(
                "cannot reference the QUIC event function",
            ));
        }
        uv::keep_alive(1);
        Ok(Sink(Arc::new(SinkState {
            env: env.raw(),
            callback: Mutex::new(reference),
            reactor,
            flags: Mutex::new((true, false)),
        })))
    }

    /// The loop this endpoint runs on.
    pub(crate) fn reactor(&self) -> &Arc<Reactor> {
        &self.0.reactor
    }

    /// Runs `future` on the endpoint's event loop.
    pub(crate) fn spawn(&self, future: impl std::future::Future<Output = ()> + Send + 'static) {
        self.0.reactor.spawn(future);
    }

    /// Queues an event (dropped when the sink was released: nobody listens any more).
    /// Called on the loop thread (tasks run there).
    pub(crate) fn emit(&self, kind: u32, target: u32, payload: Payload) {
        self.emit_then(kind, target, payload, |_| {});
    }

    /// Like `emit`; `then` gets what the JS function returned (`false` only when it
    /// returned `false`).
    pub(crate) fn emit_then(
        &self,
        kind: u32,
        target: u32,
        payload: Payload,
        then: impl FnOnce(bool) + 'static,
    ) {
        if self.0.flags.lock().unwrap_or_else(|e| e.into_inner()).1 {
            return;
        }
        let state = self.0.clone();
        uv::emit(move |env| {
            // SAFETY: loop thread inside a handle scope (uv::Local::flush); the reference
            // lives as long as `state`.
            unsafe {
                let callback = *state.callback.lock().unwrap_or_else(|e| e.into_inner());
                if callback.is_null() {
                    return;
                }
                let mut function = std::ptr::null_mut();
                napi::sys::napi_get_reference_value(env, callback, &mut function);
                let mut this = std::ptr::null_mut();
                napi::sys::napi_get_undefined(env, &mut this);
                let Ok(kind) = u32::to_napi_value(env, kind) else {
                    return;
                };
                let Ok(target) = u32::to_napi_value(env, target) else {
                    return;
                };
                let mut args = [
                    kind,
                    target,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                ];
                let mut count = 3;
                let slice = match &payload {
                    Payload::Data(Data(chunks)) => {
                        let total: usize = chunks.iter().map(|c| c.len()).sum();
                        if total <= uv::SLAB_CHUNK_MAX {
                            uv::slab_copy(env, chunks, total)
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                if let Some((slab, start, end)) = slice {
                    args[2] = slab;
                    let (Ok(start), Ok(end)) = (
                        u32::to_napi_value(env, start as u32),
                        u32::to_napi_value(env, end as u32),
                    ) else {
                        return;
                    };
                    args[3] = start;
                    args[4] = end;
                    count = 5;
                } else {
                    let Ok(payload) = Payload::to_napi_value(env, payload) else {
                        return;
                    };
                    args[2] = payload;
                }
                let mut result = std::ptr::null_mut();
                // A throw stays pending; the flush hands it to the uncaught-exception path.
                let status = napi::sys::napi_call_function(
                    env,
                    this,
                    function,
                    count,
                    args.as_ptr(),
                    &mut result,
                );
                let mut returned = true;
                if status == napi::sys::Status::napi_ok {
                    let mut value = true;
                    if napi::sys::napi_get_value_bool(env, result, &mut value)
                        == napi::sys::Status::napi_ok
                    {
                        returned = value;
                    }
                }
                then(returned);
            }
        });
    }

    /// Whether the endpoint keeps the process alive.
    pub(crate) fn set_ref(&self, referenced: bool) {
        let mut flags = self.0.flags.lock().unwrap_or_else(|e| e.into_inner());
        if flags.0 != referenced && !flags.1 {
            uv::keep_alive(if referenced { 1 } else { -1 });
        }
        flags.0 = referenced;
    }

    /// Stops delivering events: queued events are still delivered, later ones are dropped,
    /// and the endpoint no longer keeps the process alive.
    pub(crate) fn release(&self) {
        let mut flags = self.0.flags.lock().unwrap_or_else(|e| e.into_inner());
        if flags.1 {
            return;
        }
        if flags.0 {
            uv::keep_alive(-1);
        }
        flags.1 = true;
        drop(flags);
        // After the events queued so far (calls into JS run in order).
        let state = self.0.clone();
        self.0
            .reactor
            .on_loop(move || uv::emit(move |_| state.forget_callback()));
    }
}
