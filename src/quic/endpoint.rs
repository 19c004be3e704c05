//! `QuicEndpoint`: binding, accepting, dialing, rebinding and closing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ghostkit::quic::{
    CongestionController, Endpoint, EndpointOptions, Keylog, SocketOptions, TlsOptions,
    TransportOptions, quinn,
};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::connection::QuicConnection;
use super::sink::{ErrorInfo, Payload, Sink, kind};
use super::uv::LoopRuntime;
use super::{core_error, js_error};

/// TLS options as `lib/quic.js` normalises them (PEM as strings).
#[napi(object)]
pub struct NativeTls {
    pub alpn: Vec<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub ca: Option<String>,
    pub reject_unauthorized: Option<bool>,
    pub request_cert: Option<bool>,
    pub early_data: Option<bool>,
    pub keylog: Option<String>,
}

impl NativeTls {
    fn to_core(&self) -> TlsOptions {
        TlsOptions {
            alpn: self.alpn.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            ca: self.ca.clone(),
            reject_unauthorized: self.reject_unauthorized,
            request_cert: self.request_cert.unwrap_or(false),
            early_data: self.early_data.unwrap_or(false),
            keylog: match &self.keylog {
                Some(path) => Keylog::File(path.clone()),
                None => Keylog::Environment,
            },
        }
    }
}

/// Endpoint options as `lib/quic.js` normalises them (validated there; sizes in bytes,
/// times in milliseconds).
#[napi(object)]
pub struct NativeEndpointOptions {
    pub address: String,
    pub receive_buffer_size: Option<u32>,
    pub send_buffer_size: Option<u32>,
    pub ipv6_only: Option<bool>,
    pub server: Option<NativeTls>,
    pub client: NativeTls,
    pub idle_timeout: Option<i64>,
    pub keep_alive: Option<i64>,
    pub max_bidi_streams: Option<i64>,
    pub max_uni_streams: Option<i64>,
    pub stream_receive_window: Option<i64>,
    pub receive_window: Option<i64>,
    pub send_window: Option<i64>,
    pub datagram_receive_buffer: Option<i64>,
    pub datagram_send_buffer: Option<i64>,
    pub congestion_control: Option<String>,
    pub mtu_discovery: Option<bool>,
    pub max_udp_payload: Option<u32>,
    pub initial_mtu: Option<u32>,
    pub min_mtu: Option<u32>,
    /// Resume from the process-wide session store (the private endpoints of `quic.connect`).
    pub shared_sessions: Option<bool>,
}

fn invalid(message: String) -> napi::Error {
    js_error("ERR_QUIC_INVALID_OPTION", None, &message)
}

fn non_negative(name: &str, value: Option<i64>) -> Result<Option<u64>> {
    value
        .map(|v| u64::try_from(v).map_err(|_| invalid(format!("{name} must be >= 0, not {v}"))))
        .transpose()
}

fn u16_option(name: &str, value: Option<u32>) -> Result<Option<u16>> {
    value
        .map(|v| u16::try_from(v).map_err(|_| invalid(format!("{name} is out of range: {v}"))))
        .transpose()
}

fn transport(o: &NativeEndpointOptions) -> Result<TransportOptions> {
    Ok(TransportOptions {
        idle_timeout_ms: non_negative("idleTimeout", o.idle_timeout)?,
        keep_alive_ms: non_negative("keepAlive", o.keep_alive)?,
        max_bidi_streams: non_negative("maxBidiStreams", o.max_bidi_streams)?,
        max_uni_streams: non_negative("maxUniStreams", o.max_uni_streams)?,
        stream_receive_window: non_negative("streamReceiveWindow", o.stream_receive_window)?,
        receive_window: non_negative("receiveWindow", o.receive_window)?,
        send_window: non_negative("sendWindow", o.send_window)?,
        datagram_receive_buffer: non_negative("datagramReceiveBuffer", o.datagram_receive_buffer)?,
        datagram_send_buffer: non_negative("datagramSendBuffer", o.datagram_send_buffer)?,
        congestion_controller: match &o.congestion_control {
            Some(name) => CongestionController::parse(name).map_err(core_error)?,
            None => CongestionController::Cubic,
        },
        mtu_discovery: o.mtu_discovery,
        max_udp_payload: u16_option("maxUdpPayload", o.max_udp_payload)?,
        initial_mtu: u16_option("initialMtu", o.initial_mtu)?,
        min_mtu: u16_option("minMtu", o.min_mtu)?,
    })
}

pub(crate) fn parse_address(address: &str) -> Result<SocketAddr> {
    address.parse().map_err(|_| {
        js_error(
            "ERR_QUIC_INVALID_ARG",
            None,
            &format!("not an IP address and port: {address}"),
        )
    })
}

/// Ids of connections and streams: unique in the process, so `lib/quic.js` routes events
/// through one table.
pub(crate) fn next_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The client configurations of every private endpoint (`quic.connect` without one).
fn shared_client_configs() -> ghostkit::quic::ClientConfigCache {
    static CACHE: std::sync::OnceLock<ghostkit::quic::ClientConfigCache> =
        std::sync::OnceLock::new();
    CACHE
        .get_or_init(ghostkit::quic::ClientConfigCache::new)
        .clone()
}

pub(crate) struct EndpointShared {
    /// Freed once the endpoint is closed and idle (or destroyed): quinn's endpoint holds a
    /// socket and a receive buffer of a few MiB that should not wait for the garbage
    /// collector to finalize the JS object.
    endpoint: std::sync::Mutex<Option<Endpoint>>,
    pub(crate) sink: Sink,
}

impl EndpointShared {
    /// Runs `f` on the endpoint, or fails with ERR_QUIC_CLOSED once it was freed.
    fn with<T>(&self, f: impl FnOnce(&Endpoint) -> Result<T>) -> Result<T> {
        let endpoint = self.endpoint.lock().unwrap_or_else(|e| e.into_inner());
        match endpoint.as_ref() {
            Some(endpoint) => f(endpoint),
            None => Err(js_error("ERR_QUIC_CLOSED", None, "the endpoint is closed")),
        }
    }

    /// A handle to quinn's endpoint, unless it was freed.
    fn quinn(&self) -> Option<quinn::Endpoint> {
        self.with(|e| Ok(e.quinn().clone())).ok()
    }

    fn free(&self) {
        self.endpoint
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}

/// A bound QUIC endpoint.
#[napi]
pub struct QuicEndpoint {
    shared: Arc<EndpointShared>,
}

#[napi]
impl QuicEndpoint {
    /// Binds an endpoint; `events(kind, target, payload)` receives everything it reports.
    #[napi(factory)]
    pub fn bind(
        env: Env,
        options: NativeEndpointOptions,
        events: Function<'_, FnArgs<(u32, u32, Payload)>, ()>,
    ) -> Result<Self> {
        let sink = Sink::new(&env, events)?;
        let core_options = EndpointOptions {
            socket: SocketOptions {
                address: parse_address(&options.address)?,
                receive_buffer: options.receive_buffer_size.map_or(4 << 20, |n| n as usize),
                send_buffer: options.send_buffer_size.map_or(4 << 20, |n| n as usize),
                ipv6_only: options.ipv6_only.unwrap_or(false),
            },
            server: options.server.as_ref().map(NativeTls::to_core),
            client: options.client.to_core(),
            transport: transport(&options)?,
            client_configs: options
                .shared_sessions
                .unwrap_or(false)
                .then(shared_client_configs),
            runtime: Some(Arc::new(LoopRuntime {
                reactor: sink.reactor().clone(),
            })),
        };
        let endpoint = match Endpoint::bind(core_options) {
            Ok(endpoint) => endpoint,
            Err(error) => {
                sink.release();
                return Err(core_error(error));
            }
        };
        Ok(QuicEndpoint {
            shared: Arc::new(EndpointShared {
                endpoint: std::sync::Mutex::new(Some(endpoint)),
                sink,
            }),
        })
    }

    /// `ip:port` of the bound socket.
    #[napi]
    pub fn local_address(&self) -> Result<String> {
        self.shared
            .with(|e| Ok(e.local_addr().map_err(core_error)?.to_string()))
    }

    /// Accepts connections until the endpoint closes, reporting each as it completes its
    /// handshake. At most `max_handshakes` handshakes run at once; further attempts wait
    /// in quinn's queue.
    #[napi]
    pub fn start_accepting(&self, max_handshakes: u32) {
        let shared = self.shared.clone();
        let Some(endpoint) = shared.quinn() else {
            return;
        };
        let permits = Arc::new(napi::tokio::sync::Semaphore::new(
            max_handshakes.max(1) as usize
        ));
        let spawner = shared.sink.clone();
        spawner.spawn(async move {
            while let Some(incoming) = endpoint.accept().await {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let shared = shared.clone();
                shared.sink.clone().spawn(async move {
                    let accepted = shared.with(|e| Ok(e.accept(incoming)));
                    let result = match accepted {
                        Ok(Ok(connecting)) => connecting.await,
                        Ok(Err(error)) => Err(error),
                        // Freed meanwhile (destroyed): the attempt is dropped with it.
                        Err(_) => return,
                    };
                    drop(permit);
                    match result {
                        Ok(connection) => {
                            let conn = QuicConnection::new(connection, shared.clone());
                            let report_closed = conn.close_reporter();
                            shared
                                .sink
                                .emit(kind::CONNECTION, 0, Payload::Connection(conn));
                            report_closed();
                        }
                        Err(error) => shared.sink.emit(
                            kind::HANDSHAKE_FAILED,
                            0,
                            Payload::Error(ErrorInfo::from_connection(&error)),
                        ),
                    }
                });
            }
        });
    }

    /// Dials `address`. With `early_data` and a cached session ticket the connection is
    /// returned at once (0-RTT; EARLY_DATA reports acceptance); otherwise CONNECTED
    /// reports the result for `token`.
    #[napi]
    pub fn connect(
        &self,
        token: u32,
        address: String,
        server_name: String,
        tls: Option<NativeTls>,
        early_data: bool,
    ) -> Result<Option<QuicConnection>> {
        let address = parse_address(&address)?;
        let tls = tls.map(|t| t.to_core());
        let connecting = self.shared.with(|e| {
            e.connect(address, &server_name, tls.as_ref())
                .map_err(core_error)
        })?;
        let shared = self.shared.clone();
        let connecting = if early_data {
            match connecting.into_0rtt() {
                Ok((connection, accepted)) => {
                    let conn = QuicConnection::new(connection, shared.clone());
                    // Returned now: `lib/quic.js` knows it before any event arrives.
                    conn.close_reporter()();
                    let id = conn.id;
                    shared.sink.clone().spawn(async move {
                        let accepted = accepted.await;
                        shared
                            .sink
                            .emit(kind::EARLY_DATA, id, Payload::Bool(accepted));
                    });
                    return Ok(Some(conn));
                }
                Err(connecting) => connecting,
            }
        } else {
            connecting
        };
        shared.sink.clone().spawn(async move {
            match connecting.await {
                Ok(connection) => {
                    let conn = QuicConnection::new(connection, shared.clone());
                    let report_closed = conn.close_reporter();
                    shared
                        .sink
                        .emit(kind::CONNECTED, token, Payload::Connection(conn));
                    report_closed();
                }
                Err(error) => shared.sink.emit(
                    kind::CONNECTED,
                    token,
                    Payload::Error(ErrorInfo::from_connection(&error)),
                ),
            }
        });
        Ok(None)
    }

    /// Moves to a new socket bound to `address` (connection migration).
    #[napi]
    pub fn rebind(&self, address: String) -> Result<()> {
        let address = parse_address(&address)?;
        self.shared.with(|e| e.rebind(address).map_err(core_error))
    }

    /// Closes every connection with `code`/`reason`; ENDPOINT_CLOSED follows once the
    /// peers were told (or the close timed out), then the sink is released.
    #[napi]
    pub fn close(&self, code: BigInt, reason: String) -> Result<()> {
        let code = varint(code)?;
        let shared = self.shared.clone();
        let quinn = shared.quinn();
        if let Some(quinn) = &quinn {
            quinn.close(code, reason.as_bytes());
        }
        self.shared.sink.spawn(async move {
            if let Some(quinn) = quinn {
                quinn.wait_idle().await;
            }
            shared.sink.emit(kind::ENDPOINT_CLOSED, 0, Payload::Null);
            shared.sink.release();
            shared.free();
        });
        Ok(())
    }

    /// Closes at once and releases the sink.
    #[napi]
    pub fn destroy(&self) {
        if let Some(quinn) = self.shared.quinn() {
            quinn.close(0u32.into(), b"");
        }
        self.shared.sink.release();
        self.shared.free();
    }

    /// Whether the endpoint keeps the process alive.
    #[napi(js_name = "setRef")]
    pub fn set_ref(&self, referenced: bool) {
        self.shared.sink.set_ref(referenced)
    }

    /// Connections currently open on this endpoint.
    #[napi]
    pub fn open_connections(&self) -> u32 {
        self.shared
            .quinn()
            .map_or(0, |q| q.open_connections() as u32)
    }
}

pub(crate) fn varint(code: BigInt) -> Result<quinn::VarInt> {
    let (signed, value, lossless) = code.get_u64();
    if signed || !lossless {
        return Err(js_error(
            "ERR_QUIC_INVALID_ARG",
            None,
            "a QUIC error code is 0..2^62-1",
        ));
    }
    quinn::VarInt::from_u64(value).map_err(|_| {
        js_error(
            "ERR_QUIC_INVALID_ARG",
            None,
            "a QUIC error code is 0..2^62-1",
        )
    })
}

/// Tries `future` once without waiting.
pub(crate) fn now<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(value) => Some(value),
        std::task::Poll::Pending => None,
    }
}

/// A development CA and leaf (PEM).
#[napi(object)]
pub struct NativeCertificate {
    pub ca: String,
    pub ca_key: String,
    pub cert: String,
    pub key: String,
}

#[napi(js_name = "quicGenerateCertificate")]
pub fn generate_certificate(names: Vec<String>) -> Result<NativeCertificate> {
    let pair = ghostkit::quic::generate_certificate(&names).map_err(core_error)?;
    Ok(NativeCertificate {
        ca: pair.ca_cert,
        ca_key: pair.ca_key,
        cert: pair.cert,
        key: pair.key,
    })
}
