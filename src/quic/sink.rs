//! The event sink of one endpoint: a threadsafe function that delivers results of waiting
//! operations to `lib/quic.js`.

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

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

/// What an event carries.
pub enum Payload {
    Null,
    Bool(bool),
    Data(Vec<u8>),
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
                Payload::Data(bytes) => Buffer::to_napi_value(env, Buffer::from(bytes)),
                Payload::Error(info) => ErrorInfo::to_napi_value(env, info),
                Payload::Connection(c) => QuicConnection::to_napi_value(env, c),
                Payload::Stream(s) => QuicStream::to_napi_value(env, s),
            }
        }
    }
}

pub(crate) struct Event(u32, u32, Payload);

type Tsfn = ThreadsafeFunction<Event, (), FnArgs<(u32, u32, Payload)>, Status, false>;

/// Shared handle to an endpoint's threadsafe function; empty once released.
#[derive(Clone)]
pub(crate) struct Sink(Arc<Mutex<Option<Tsfn>>>);

impl Sink {
    pub(crate) fn new(callback: Function<'_, FnArgs<(u32, u32, Payload)>, ()>) -> Result<Self> {
        let tsfn = callback
            .build_threadsafe_function::<Event>()
            .callee_handled::<false>()
            .build_callback(|ctx| {
                let Event(kind, target, payload) = ctx.value;
                Ok(FnArgs::from((kind, target, payload)))
            })?;
        Ok(Sink(Arc::new(Mutex::new(Some(tsfn)))))
    }

    /// Queues an event (dropped when the sink was released: nobody listens any more).
    pub(crate) fn emit(&self, kind: u32, target: u32, payload: Payload) {
        let slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tsfn) = slot.as_ref() {
            tsfn.call(
                Event(kind, target, payload),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }
    }

    #[allow(deprecated)]
    pub(crate) fn set_ref(&self, env: &Env, referenced: bool) -> Result<()> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_mut() {
            Some(tsfn) if referenced => tsfn.refer(env),
            Some(tsfn) => tsfn.unref(env),
            None => Ok(()),
        }
    }

    /// Releases the threadsafe function: queued events are still delivered, later ones
    /// are dropped, and the endpoint no longer keeps the process alive.
    pub(crate) fn release(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}
