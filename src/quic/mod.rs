//! `ghostkit/quic`: the napi layer over `ghostkit::quic`.
//!
//! Every endpoint runs on the event loop of the JS thread that created it (`uv.rs`: a quinn
//! runtime whose sockets, timers and tasks are libuv handles and futures polled by that
//! loop), and owns one JS function, its "event sink". Operations that must wait —
//! accepting, reading, writing into a full send buffer, a handshake — run as tasks on the
//! loop and report through that function as `(kind, target, payload)`; `lib/quic.js`
//! routes them by target id. Operations that can finish at once (a read with data already
//! buffered, a write that fits the send buffer) complete synchronously, so the hot paths
//! cross napi once per chunk and create no Promise. `ref()`/`unref()` of an endpoint
//! decides whether it keeps the process alive, and closing it releases the function so
//! the process can exit.

mod connection;
mod endpoint;
mod sink;
mod stream;
mod uv;

/// A JS error carrying a stable code: `lib/quic.js` splits `code\u{1}errorCode\u{1}message`.
pub(crate) fn js_error(code: &str, error_code: Option<u64>, message: &str) -> napi::Error {
    let numeric = error_code.map(|c| c.to_string()).unwrap_or_default();
    napi::Error::from_reason(format!("{code}\u{1}{numeric}\u{1}{message}"))
}

pub(crate) fn core_error(error: ghostkit::quic::Error) -> napi::Error {
    match &error {
        ghostkit::quic::Error::Connection(reason) => {
            js_error(reason.code(), reason.error_code, &reason.message)
        }
        other => js_error(other.code(), None, &other.to_string()),
    }
}
