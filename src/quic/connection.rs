//! `QuicConnection`: streams, datagrams, close, and what the connection knows.

use std::sync::{Arc, Mutex};

use ghostkit::quic::quinn;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::endpoint::{EndpointShared, next_id, now, varint};
use super::js_error;
use super::sink::{Data, ErrorInfo, Payload, kind};
use super::stream::QuicStream;

/// An established (or 0-RTT) connection.
#[napi]
pub struct QuicConnection {
    pub(crate) id: u32,
    /// Taken by `release` once closed: quinn frees a connection's state (buffers, crypto)
    /// only when its last handle is gone, and waiting for the JS garbage collector to
    /// finalize this object let thousands of closed connections pile up.
    connection: Mutex<Option<quinn::Connection>>,
    shared: Arc<EndpointShared>,
}

/// `connection.stats()` (counters as BigInt).
#[napi(object)]
pub struct NativeStats {
    pub rtt: f64,
    pub congestion_window: BigInt,
    pub congestion_events: BigInt,
    pub lost_packets: BigInt,
    pub lost_bytes: BigInt,
    pub sent_packets: BigInt,
    pub bytes_sent: BigInt,
    pub bytes_received: BigInt,
    pub datagrams_sent: BigInt,
    pub datagrams_received: BigInt,
    pub mtu: u32,
}

/// Negotiated parameters and the peer.
#[napi(object)]
pub struct NativeInfo {
    pub remote_address: String,
    pub alpn: Option<String>,
    pub server_name: Option<String>,
    pub peer_certificates: Vec<Buffer>,
}

fn connection_error(error: &quinn::ConnectionError) -> napi::Error {
    let info = ErrorInfo::from_connection(error);
    js_error(&info.code, info.error_code.map(|c| c as u64), &info.message)
}

impl QuicConnection {
    /// Wraps a connection; the caller starts the function `close_reporter` returns once
    /// it handed the connection to JS.
    pub(crate) fn new(connection: quinn::Connection, shared: Arc<EndpointShared>) -> Self {
        QuicConnection {
            id: next_id(),
            connection: Mutex::new(Some(connection)),
            shared,
        }
    }

    /// Starts the task that reports CLOSED. Events reach `lib/quic.js` in the order they
    /// were queued, so call it after the event (or the return) that introduces the
    /// connection: a CLOSED that overtook it had no connection to be routed to and was
    /// lost, and the connection stayed open in JS for good (with quinn's state) — about
    /// one server connection in a thousand when the client closes at once.
    pub(crate) fn close_reporter(&self) -> impl FnOnce() + Send + use<> {
        let watched = self.handle();
        let sink = self.shared.sink.clone();
        let id = self.id;
        move || {
            let Some(watched) = watched else { return };
            sink.clone().spawn(async move {
                let error = watched.closed().await;
                sink.emit(
                    kind::CLOSED,
                    id,
                    Payload::Error(ErrorInfo::from_connection(&error)),
                );
            });
        }
    }

    /// A handle to the connection, or `None` once released.
    fn handle(&self) -> Option<quinn::Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A handle to the connection, or ERR_QUIC_CLOSED once released.
    fn open_handle(&self) -> Result<quinn::Connection> {
        self.handle()
            .ok_or_else(|| js_error("ERR_QUIC_CLOSED", None, "the connection is closed"))
    }

    fn stream(
        &self,
        send: Option<quinn::SendStream>,
        recv: Option<quinn::RecvStream>,
    ) -> QuicStream {
        QuicStream::new(send, recv, self.shared.sink.clone())
    }
}

#[napi]
impl QuicConnection {
    /// The id events for this connection carry.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.id
    }

    #[napi]
    pub fn info(&self) -> Result<NativeInfo> {
        let info = ghostkit::quic::info(&self.open_handle()?);
        Ok(NativeInfo {
            remote_address: info.remote_address.to_string(),
            alpn: info.alpn,
            server_name: info.server_name,
            peer_certificates: info
                .peer_certificates
                .into_iter()
                .map(Buffer::from)
                .collect(),
        })
    }

    /// Takes the next peer-opened stream if one is waiting, else reports it as STREAM.
    #[napi]
    pub fn accept_stream(&self) -> Option<QuicStream> {
        let connection = self.handle()?;
        if let Some(Ok((send, recv))) = now(connection.accept_bi()) {
            return Some(self.stream(Some(send), Some(recv)));
        }
        if let Some(Ok(recv)) = now(connection.accept_uni()) {
            return Some(self.stream(None, Some(recv)));
        }
        let sink = self.shared.sink.clone();
        let id = self.id;
        sink.clone().spawn(async move {
            let accepted = napi::tokio::select! {
                bi = connection.accept_bi() => bi.map(|(s, r)| (Some(s), r)),
                uni = connection.accept_uni() => uni.map(|r| (None, r)),
            };
            // A failed accept means the connection closed: CLOSED reports that.
            if let Ok((send, recv)) = accepted {
                let stream = QuicStream::new(send, Some(recv), sink.clone());
                sink.emit(kind::STREAM, id, Payload::Stream(stream));
            }
        });
        None
    }

    /// Opens a stream now, or reports it as OPENED when the peer's stream limit forces a wait.
    #[napi]
    pub fn open_stream(&self, bidirectional: bool) -> Result<Option<QuicStream>> {
        let connection = self.open_handle()?;
        if bidirectional {
            match now(connection.open_bi()) {
                Some(Ok((send, recv))) => return Ok(Some(self.stream(Some(send), Some(recv)))),
                Some(Err(error)) => return Err(connection_error(&error)),
                None => {}
            }
        } else {
            match now(connection.open_uni()) {
                Some(Ok(send)) => return Ok(Some(self.stream(Some(send), None))),
                Some(Err(error)) => return Err(connection_error(&error)),
                None => {}
            }
        }
        let sink = self.shared.sink.clone();
        let id = self.id;
        sink.clone().spawn(async move {
            let opened = if bidirectional {
                connection.open_bi().await.map(|(s, r)| (s, Some(r)))
            } else {
                connection.open_uni().await.map(|s| (s, None))
            };
            let payload = match opened {
                Ok((send, recv)) => {
                    Payload::Stream(QuicStream::new(Some(send), recv, sink.clone()))
                }
                Err(error) => Payload::Error(ErrorInfo::from_connection(&error)),
            };
            sink.emit(kind::OPENED, id, payload);
        });
        Ok(None)
    }

    /// Sends a datagram.
    #[napi]
    pub fn send_datagram(&self, data: &[u8]) -> Result<()> {
        self.open_handle()?
            .send_datagram(data.to_vec().into())
            .map_err(|error| match error {
                quinn::SendDatagramError::ConnectionLost(e) => connection_error(&e),
                other => js_error("ERR_QUIC_DATAGRAM", None, &other.to_string()),
            })
    }

    /// Takes the next datagram if one is waiting, else reports it as DATAGRAM.
    #[napi(ts_return_type = "Buffer | undefined")]
    pub fn read_datagram(&self) -> Option<Data> {
        let connection = self.handle()?;
        if let Some(Ok(data)) = now(connection.read_datagram()) {
            return Some(Data(vec![data]));
        }
        let sink = self.shared.sink.clone();
        let id = self.id;
        sink.clone().spawn(async move {
            if let Ok(data) = connection.read_datagram().await {
                sink.emit(kind::DATAGRAM, id, Payload::Data(Data(vec![data])));
            }
        });
        None
    }

    /// The largest datagram the peer accepts now.
    #[napi]
    pub fn max_datagram_size(&self) -> Option<u32> {
        self.handle()?.max_datagram_size().map(|n| n as u32)
    }

    #[napi]
    pub fn stats(&self) -> Result<NativeStats> {
        let s = ghostkit::quic::stats(&self.open_handle()?);
        Ok(NativeStats {
            rtt: s.rtt.as_secs_f64() * 1000.0,
            congestion_window: s.congestion_window.into(),
            congestion_events: s.congestion_events.into(),
            lost_packets: s.lost_packets.into(),
            lost_bytes: s.lost_bytes.into(),
            sent_packets: s.sent_packets.into(),
            bytes_sent: s.bytes_sent.into(),
            bytes_received: s.bytes_received.into(),
            datagrams_sent: s.datagrams_sent.into(),
            datagrams_received: s.datagrams_received.into(),
            mtu: u32::from(s.mtu),
        })
    }

    /// Closes with an application code the peer sees.
    #[napi]
    pub fn close(&self, code: BigInt, reason: String) -> Result<()> {
        let code = varint(code)?;
        if let Some(connection) = self.handle() {
            connection.close(code, reason.as_bytes());
        }
        Ok(())
    }

    /// Drops this handle to a closed connection (`lib/quic.js` calls it once CLOSED was
    /// reported and it kept what it needs), so quinn frees the connection's state now
    /// rather than when the garbage collector finalizes this object.
    #[napi]
    pub fn release(&self) {
        self.connection
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}
