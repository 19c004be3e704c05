//! `ghostkit/quic`: the napi layer over `ghostkit::quic`.
//!
//! Every endpoint owns one threadsafe function (its "event sink"). Operations that must
//! wait — accepting, reading, writing into a full send buffer, a handshake — run on a
//! tokio task and report through that sink as `(kind, target, payload)`; `lib/quic.js`
//! routes them by target id. Operations that can finish at once (a read with data already
//! buffered, a write that fits the send buffer) complete synchronously, so the hot paths
//! cross napi once per chunk and create no Promise. Because everything waiting is tied to
//! one threadsafe function, `ref()`/`unref()` of an endpoint decides whether it keeps the
//! process alive, and closing it releases the function so the process can exit.

mod connection;
mod endpoint;
mod sink;
mod stream;

use std::sync::OnceLock;

use napi::tokio::runtime::{Builder, Runtime};

/// Worker threads of the QUIC runtime unless `GHOSTKIT_QUIC_THREADS` says otherwise.
///
/// One: every hop between threads (the JS thread waking a worker, one worker handing a
/// packet's task to another) costs a wake-up, and with two workers a 1 KiB round trip
/// crossed threads several more times than with one (measured in docs/quic.md).
const DEFAULT_THREADS: usize = 1;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// The runtime that drives every endpoint: quinn's endpoint and connection drivers, and
/// the tasks that wait on them.
pub(crate) fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let threads = env_number("GHOSTKIT_QUIC_THREADS")
            .filter(|n| (1..=64).contains(n))
            .map_or(DEFAULT_THREADS, |n| n as usize);
        Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("ghostkit-quic")
            .enable_all()
            .build()
            .expect("the QUIC runtime must start")
    })
}

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
