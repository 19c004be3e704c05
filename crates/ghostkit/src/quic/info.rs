//! What a connection tells about itself: why it closed, its peer, its counters.

use std::net::SocketAddr;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

/// Why a connection ended, with the peer's numeric code where there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseReason {
    /// `application` (closed with an application code), `transport` (a QUIC transport
    /// error code), `timeout` (idle timeout), `reset` (stateless reset), `local`
    /// (closed by this side), `version` or `cids`.
    pub kind: &'static str,
    /// The application or transport error code.
    pub error_code: Option<u64>,
    /// The reason phrase sent with the close.
    pub reason: String,
    /// A readable description.
    pub message: String,
}

impl CloseReason {
    /// The stable `ERR_QUIC_*` code of this reason.
    pub fn code(&self) -> &'static str {
        match self.kind {
            "application" => "ERR_QUIC_APPLICATION_CLOSED",
            "transport" => "ERR_QUIC_TRANSPORT_ERROR",
            "timeout" => "ERR_QUIC_IDLE_TIMEOUT",
            "reset" => "ERR_QUIC_CONNECTION_RESET",
            "local" => "ERR_QUIC_CLOSED",
            "version" => "ERR_QUIC_VERSION_MISMATCH",
            _ => "ERR_QUIC_CONNECTION_LOST",
        }
    }
}

/// Maps quinn's connection error to a [`CloseReason`].
pub fn close_reason(error: &quinn::ConnectionError) -> CloseReason {
    use quinn::ConnectionError as E;
    let (kind, error_code, reason) = match error {
        E::ApplicationClosed(close) => (
            "application",
            Some(close.error_code.into_inner()),
            String::from_utf8_lossy(&close.reason).into_owned(),
        ),
        E::ConnectionClosed(close) => (
            "transport",
            Some(u64::from(close.error_code)),
            String::from_utf8_lossy(&close.reason).into_owned(),
        ),
        E::TransportError(e) => ("transport", Some(u64::from(e.code)), e.reason.clone()),
        E::TimedOut => ("timeout", None, String::new()),
        E::Reset => ("reset", None, String::new()),
        E::LocallyClosed => ("local", None, String::new()),
        E::VersionMismatch => ("version", None, String::new()),
        E::CidsExhausted => ("cids", None, String::new()),
    };
    CloseReason {
        kind,
        error_code,
        reason,
        message: error.to_string(),
    }
}

/// The negotiated parameters and peer of an established connection.
#[derive(Clone, Debug)]
pub struct ConnectionInfo {
    /// The peer's address.
    pub remote_address: SocketAddr,
    /// The negotiated ALPN protocol.
    pub alpn: Option<String>,
    /// The server name the client asked for (server side).
    pub server_name: Option<String>,
    /// The peer's certificate chain (DER), leaf first; empty when it sent none.
    pub peer_certificates: Vec<Vec<u8>>,
}

/// Reads [`ConnectionInfo`] from a connection.
pub fn info(connection: &quinn::Connection) -> ConnectionInfo {
    let handshake = connection
        .handshake_data()
        .and_then(|data| data.downcast::<quinn::crypto::rustls::HandshakeData>().ok());
    let peer_certificates = connection
        .peer_identity()
        .and_then(|id| id.downcast::<Vec<CertificateDer<'static>>>().ok())
        .map(|chain| chain.iter().map(|c| c.as_ref().to_vec()).collect())
        .unwrap_or_default();
    ConnectionInfo {
        remote_address: connection.remote_address(),
        alpn: handshake
            .as_ref()
            .and_then(|h| h.protocol.as_ref())
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        server_name: handshake.and_then(|h| h.server_name.clone()),
        peer_certificates,
    }
}

/// Counters of a connection.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Smoothed round-trip time.
    pub rtt: Duration,
    /// Congestion window in bytes.
    pub congestion_window: u64,
    /// Congestion events.
    pub congestion_events: u64,
    /// Packets declared lost.
    pub lost_packets: u64,
    /// Bytes declared lost.
    pub lost_bytes: u64,
    /// Packets sent.
    pub sent_packets: u64,
    /// UDP payload bytes sent.
    pub bytes_sent: u64,
    /// UDP payload bytes received.
    pub bytes_received: u64,
    /// UDP datagrams sent.
    pub datagrams_sent: u64,
    /// UDP datagrams received.
    pub datagrams_received: u64,
    /// Current path MTU (largest UDP payload).
    pub mtu: u16,
}

/// Reads [`Stats`] from a connection.
pub fn stats(connection: &quinn::Connection) -> Stats {
    let s = connection.stats();
    Stats {
        rtt: s.path.rtt,
        congestion_window: s.path.cwnd,
        congestion_events: s.path.congestion_events,
        lost_packets: s.path.lost_packets,
        lost_bytes: s.path.lost_bytes,
        sent_packets: s.path.sent_packets,
        bytes_sent: s.udp_tx.bytes,
        bytes_received: s.udp_rx.bytes,
        datagrams_sent: s.udp_tx.datagrams,
        datagrams_received: s.udp_rx.datagrams,
        mtu: s.path.current_mtu,
    }
}
