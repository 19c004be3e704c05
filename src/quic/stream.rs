//! `QuicStream`: the two halves of a QUIC stream, read and written in large chunks.
//!
//! Reads and writes first try to finish synchronously (data already buffered, room in
//! the send buffer); only when they must wait does a tokio task take over and report
//! READ / WRITTEN. `lib/quic.js` keeps at most one read and one write in flight per
//! stream, so the halves' locks are only contended by `reset`/`stopSending`, which then
//! interrupt the waiting task.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ghostkit::quic::quinn::{self, ReadError, WriteError};
use napi::bindgen_prelude::*;
use napi::tokio::sync::{Mutex, Notify};
use napi_derive::napi;

use super::endpoint::{next_id, now, varint};
use super::js_error;
use super::sink::{Data, ErrorInfo, Payload, Sink, kind};

/// One half plus the way to interrupt a task that waits on it.
struct Half<T> {
    stream: Mutex<Option<T>>,
    interrupt: Notify,
    code: AtomicU64,
    /// Receiving half: a reader task owns the stream and reports READ events.
    reader: AtomicBool,
    /// Receiving half: JS takes more data (cleared when its READ handler returned false).
    want: AtomicBool,
    /// Signalled when `want` is set again.
    wanted: Notify,
}

impl<T> Half<T> {
    fn new(stream: T) -> Arc<Self> {
        Arc::new(Half {
            stream: Mutex::new(Some(stream)),
            interrupt: Notify::new(),
            code: AtomicU64::new(0),
            reader: AtomicBool::new(false),
            want: AtomicBool::new(false),
            wanted: Notify::new(),
        })
    }

    /// The code `reset`/`stop` left for the task it interrupted.
    fn interrupt_code(&self) -> quinn::VarInt {
        quinn::VarInt::from_u64(self.code.load(Ordering::Relaxed)).unwrap_or_default()
    }

    /// Abandons this half with `code` (`abandon` is RESET_STREAM or STOP_SENDING): now when
    /// no task holds it, else by interrupting that task. Idempotent.
    fn abandon(&self, code: quinn::VarInt, abandon: impl FnOnce(&mut T, quinn::VarInt)) {
        match self.stream.try_lock() {
            Ok(mut guard) => {
                if let Some(mut stream) = guard.take() {
                    abandon(&mut stream, code);
                }
            }
            Err(_) => {
                self.code.store(code.into_inner(), Ordering::Relaxed);
                self.interrupt.notify_one();
            }
        }
    }

    async fn wanted(&self) {
        while !self.want.load(Ordering::Acquire) {
            self.wanted.notified().await;
        }
    }
}

fn closed_info(what: &str) -> ErrorInfo {
    ErrorInfo::new(
        "ERR_QUIC_CLOSED",
        None,
        format!("the stream's {what} side is closed"),
    )
}

fn read_error(error: &ReadError) -> ErrorInfo {
    match error {
        ReadError::Reset(code) => ErrorInfo::new(
            "ERR_QUIC_STREAM_RESET",
            Some(code.into_inner()),
            format!("the peer reset the stream with code {code}"),
        ),
        ReadError::ConnectionLost(e) => ErrorInfo::from_connection(e),
        ReadError::ClosedStream => closed_info("reading"),
        ReadError::ZeroRttRejected => {
            ErrorInfo::new("ERR_QUIC_ZERO_RTT_REJECTED", None, error.to_string())
        }
        ReadError::IllegalOrderedRead => ErrorInfo::new("ERR_QUIC_CLOSED", None, error.to_string()),
    }
}

fn write_error(error: &WriteError) -> ErrorInfo {
    match error {
        WriteError::Stopped(code) => ErrorInfo::new(
            "ERR_QUIC_STREAM_STOPPED",
            Some(code.into_inner()),
            format!("the peer stopped the stream with code {code}"),
        ),
        WriteError::ConnectionLost(e) => ErrorInfo::from_connection(e),
        WriteError::ClosedStream => closed_info("writing"),
        WriteError::ZeroRttRejected => {
            ErrorInfo::new("ERR_QUIC_ZERO_RTT_REJECTED", None, error.to_string())
        }
    }
}

fn throw(info: ErrorInfo) -> napi::Error {
    js_error(&info.code, info.error_code.map(|c| c as u64), &info.message)
}

/// The reader gathers further buffered chunks only after a first chunk of this size.
const GATHER_AFTER_BYTES: usize = 4096;

/// What one non-waiting read attempt produced.
enum Gathered {
    Data(Vec<bytes::Bytes>),
    End,
    Failed(ReadError),
    Waiting,
}

/// Collects up to `max` bytes that are already buffered, without waiting.
fn gather(recv: &mut quinn::RecvStream, max: usize) -> Gathered {
    let mut chunks = Vec::new();
    let mut total = 0;
    while total < max {
        match now(recv.read_chunk(max - total, true)) {
            Some(Ok(Some(chunk))) => {
                total += chunk.bytes.len();
                chunks.push(chunk.bytes);
            }
            Some(Ok(None)) if total == 0 => return Gathered::End,
            Some(Err(error)) if total == 0 => return Gathered::Failed(error),
            None if total == 0 => return Gathered::Waiting,
            // The end, an error or a wait comes back on the next read.
            _ => break,
        }
    }
    Gathered::Data(chunks)
}

/// A QUIC stream (either half may be absent for unidirectional streams).
#[napi]
pub struct QuicStream {
    id: u32,
    stream_id: u64,
    send: Option<Arc<Half<quinn::SendStream>>>,
    recv: Option<Arc<Half<quinn::RecvStream>>>,
    sink: Sink,
}

impl QuicStream {
    pub(crate) fn new(
        send: Option<quinn::SendStream>,
        recv: Option<quinn::RecvStream>,
        sink: Sink,
    ) -> Self {
        let stream_id = send
            .as_ref()
            .map(|s| s.id())
            .or_else(|| recv.as_ref().map(|r| r.id()))
            .map_or(0, |id| id.into());
        QuicStream {
            id: next_id(),
            stream_id,
            send: send.map(Half::new),
            recv: recv.map(Half::new),
            sink,
        }
    }
}

/// Outcome of `read`: data, `null` at the end, `undefined` when READ will report it.
type ReadResult = Either3<Data, Null, Undefined>;

#[napi]
impl QuicStream {
    /// The id events for this stream carry.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The QUIC stream id.
    #[napi(getter)]
    pub fn stream_id(&self) -> BigInt {
        self.stream_id.into()
    }

    #[napi(getter)]
    pub fn readable(&self) -> bool {
        self.recv.is_some()
    }

    #[napi(getter)]
    pub fn writable(&self) -> bool {
        self.send.is_some()
    }

    /// Reads up to `max` bytes: what is buffered now, or (when nothing is) `undefined`, and
    /// READ events from then on. Once a read had to wait, a reader task owns the receiving
    /// half: it reports each batch of data as READ while JS wants more (its READ handler
    /// returns `false` to pause; `read` again resumes), then the end or the error.
    #[napi(ts_return_type = "Buffer | null | undefined")]
    pub fn read(&self, max: u32) -> Result<ReadResult> {
        let half = self
            .recv
            .clone()
            .ok_or_else(|| throw(closed_info("reading")))?;
        if half.reader.load(Ordering::Acquire) {
            half.want.store(true, Ordering::Release);
            half.wanted.notify_one();
            return Ok(Either3::C(()));
        }
        let max = max.max(1) as usize;
        {
            let Ok(mut guard) = half.stream.try_lock() else {
                return Err(js_error(
                    "ERR_QUIC_INVALID_ARG",
                    None,
                    "a read is already pending",
                ));
            };
            let recv = guard
                .as_mut()
                .ok_or_else(|| throw(closed_info("reading")))?;
            match gather(recv, max) {
                Gathered::Data(data) => return Ok(Either3::A(Data(data))),
                Gathered::End => return Ok(Either3::B(Null)),
                Gathered::Failed(error) => return Err(throw(read_error(&error))),
                Gathered::Waiting => {}
            }
        }
        half.want.store(true, Ordering::Release);
        half.reader.store(true, Ordering::Release);
        let sink = self.sink.clone();
        let id = self.id;
        self.sink.spawn(async move {
            let mut guard = half.stream.lock().await;
            // True when `stop` interrupted the reader.
            let interrupted = loop {
                let Some(recv) = guard.as_mut() else {
                    sink.emit(kind::READ, id, Payload::Error(closed_info("reading")));
                    break false;
                };
                let first = napi::tokio::select! {
                    chunk = recv.read_chunk(max, true) => chunk,
                    () = half.interrupt.notified() => break true,
                };
                let payload = match first {
                    Ok(Some(chunk)) => {
                        let mut data = vec![chunk.bytes];
                        // A chunk smaller than a packet's worth is a message on its own
                        // (request/response traffic): hand it over without looking for
                        // more. A full one means a transfer: gather what else is buffered.
                        if data[0].len() >= GATHER_AFTER_BYTES
                            && let Gathered::Data(more) = gather(recv, max - data[0].len())
                        {
                            data.extend(more);
                        }
                        Payload::Data(Data(data))
                    }
                    Ok(None) => Payload::Null,
                    Err(error) => Payload::Error(read_error(&error)),
                };
                if !matches!(payload, Payload::Data(_)) {
                    sink.emit(kind::READ, id, payload);
                    break false;
                }
                // Paused by JS: hold this batch until it wants more (or stops the stream).
                if !half.want.load(Ordering::Acquire) {
                    napi::tokio::select! {
                        () = half.wanted() => {}
                        () = half.interrupt.notified() => break true,
                    }
                }
                let flow = half.clone();
                sink.emit_then(kind::READ, id, payload, move |more| {
                    if !more {
                        flow.want.store(false, Ordering::Release);
                    }
                });
            };
            if interrupted {
                if let Some(mut recv) = guard.take() {
                    let _ = recv.stop(half.interrupt_code());
                }
                sink.emit(kind::READ, id, Payload::Null);
            }
            half.reader.store(false, Ordering::Release);
            // Unlock before any later read: JS may read again (it gets the end or error).
            drop(guard);
        });
        Ok(Either3::C(()))
    }

    /// Writes `data` (copied): true when the send buffer took all of it now; false when
    /// WRITTEN will report completion.
    #[napi]
    pub fn write(&self, data: &[u8]) -> Result<bool> {
        self.write_bytes(Source::Slice(data))
    }

    /// Writes a large Buffer without copying it: the stream keeps a reference to it until
    /// the peer acknowledged its bytes (the caller must not change it meanwhile, as with
    /// any Node stream write). Otherwise like `write`.
    #[napi]
    pub fn write_buffer(&self, data: Buffer) -> Result<bool> {
        self.write_bytes(Source::Owned(bytes::Bytes::from_owner(data)))
    }
}

enum Source<'a> {
    Slice(&'a [u8]),
    Owned(bytes::Bytes),
}

impl QuicStream {
    fn write_bytes(&self, source: Source<'_>) -> Result<bool> {
        let half = self
            .send
            .clone()
            .ok_or_else(|| throw(closed_info("writing")))?;
        let rest = {
            let Ok(mut guard) = half.stream.try_lock() else {
                return Err(js_error(
                    "ERR_QUIC_INVALID_ARG",
                    None,
                    "a write is already pending",
                ));
            };
            let send = guard
                .as_mut()
                .ok_or_else(|| throw(closed_info("writing")))?;
            match source {
                Source::Slice(data) => {
                    let mut offset = 0;
                    while offset < data.len() {
                        match now(send.write(&data[offset..])) {
                            Some(Ok(n)) => offset += n,
                            Some(Err(error)) => return Err(throw(write_error(&error))),
                            None => break,
                        }
                    }
                    bytes::Bytes::copy_from_slice(&data[offset..])
                }
                Source::Owned(data) => {
                    let mut chunks = [data];
                    while !chunks[0].is_empty() {
                        match now(send.write_chunks(&mut chunks)) {
                            Some(Ok(_)) => {}
                            Some(Err(error)) => return Err(throw(write_error(&error))),
                            None => break,
                        }
                    }
                    let [rest] = chunks;
                    rest
                }
            }
        };
        if rest.is_empty() {
            return Ok(true);
        }
        let sink = self.sink.clone();
        let id = self.id;
        self.sink.spawn(async move {
            let mut guard = half.stream.lock().await;
            let Some(send) = guard.as_mut() else {
                drop(guard);
                sink.emit(kind::WRITTEN, id, Payload::Error(closed_info("writing")));
                return;
            };
            let payload = napi::tokio::select! {
                written = send.write_chunk(rest) => match written {
                    Ok(()) => Payload::Null,
                    Err(error) => Payload::Error(write_error(&error)),
                },
                () = half.interrupt.notified() => {
                    let _ = send.reset(half.interrupt_code());
                    guard.take();
                    Payload::Error(closed_info("writing"))
                }
            };
            drop(guard);
            sink.emit(kind::WRITTEN, id, payload);
        });
        Ok(false)
    }
}

#[napi]
impl QuicStream {
    /// Sends FIN after the buffered data (half-close).
    #[napi]
    pub fn finish(&self) -> Result<()> {
        let half = self
            .send
            .clone()
            .ok_or_else(|| throw(closed_info("writing")))?;
        let Ok(mut guard) = half.stream.try_lock() else {
            return Err(js_error("ERR_QUIC_INVALID_ARG", None, "a write is pending"));
        };
        let send = guard
            .as_mut()
            .ok_or_else(|| throw(closed_info("writing")))?;
        send.finish().map_err(|_| throw(closed_info("writing")))
    }

    /// Abandons the sending half with RESET_STREAM(`code`). Idempotent.
    #[napi]
    pub fn reset(&self, code: BigInt) -> Result<()> {
        let code = varint(code)?;
        if let Some(half) = &self.send {
            half.abandon(code, |send, code| {
                let _ = send.reset(code);
            });
        }
        Ok(())
    }

    /// Abandons the receiving half with STOP_SENDING(`code`). Idempotent.
    #[napi]
    pub fn stop(&self, code: BigInt) -> Result<()> {
        let code = varint(code)?;
        if let Some(half) = &self.recv {
            half.abandon(code, |recv, code| {
                let _ = recv.stop(code);
            });
        }
        Ok(())
    }

    /// Drops both halves (after the stream ended or was destroyed): an unfinished
    /// sending half finishes, an unfinished receiving half stops with code 0.
    #[napi]
    pub fn close(&self) {
        if let Some(half) = &self.send
            && let Ok(mut guard) = half.stream.try_lock()
        {
            guard.take();
        }
        if let Some(half) = &self.recv
            && let Ok(mut guard) = half.stream.try_lock()
        {
            guard.take();
        }
    }
}
