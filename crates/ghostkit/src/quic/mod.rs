//! ZQUIC: QUIC endpoints over quinn and rustls (ring).
//!
//! [`Endpoint::bind`] builds the socket, TLS and transport configuration from Node-style
//! options ([`EndpointOptions`]); connections and streams are quinn's own types, so a
//! Rust service uses the full quinn API. The endpoint keeps one TLS session store for
//! every connection it dials, so a second connection to a server resumes and may send
//! 0-RTT early data.
//!
//! ```no_run
//! # async fn run() -> Result<(), ghostkit::quic::Error> {
//! use ghostkit::quic::{Endpoint, EndpointOptions, TlsOptions, generate_certificate};
//!
//! let pair = generate_certificate(&["localhost".into()])?;
//! let server = Endpoint::bind(EndpointOptions {
//!     server: Some(TlsOptions { cert: Some(pair.cert), key: Some(pair.key), alpn: vec!["echo".into()], ..Default::default() }),
//!     ..Default::default()
//! })?;
//! let client = Endpoint::bind(EndpointOptions {
//!     client: TlsOptions { ca: Some(pair.ca_cert), alpn: vec!["echo".into()], ..Default::default() },
//!     ..Default::default()
//! })?;
//! let address = server.local_addr()?;
//! let connection = client.connect(address, "localhost", None)?.await.map_err(ghostkit::quic::Error::from)?;
//! let (mut send, _recv) = connection.open_bi().await.map_err(ghostkit::quic::Error::from)?;
//! send.write_all(b"hello").await.map_err(|e| ghostkit::quic::Error::Io(e.into()))?;
//! # Ok(()) }
//! ```

mod cert;
mod config;
mod endpoint;
mod info;
mod socket;

pub use cert::{GeneratedCertificate, generate_certificate};
pub use config::{
    ClientConfigCache, CongestionController, Keylog, LOOPBACK_MAX_UDP_PAYLOAD, TlsOptions,
    TransportOptions,
};
pub use endpoint::{Endpoint, EndpointOptions, SocketOptions, bind_socket};
pub use info::{CloseReason, ConnectionInfo, Stats, close_reason, info, stats};
pub use quinn;

/// Errors of the QUIC core. [`Error::code`] is the stable string the Node layer exposes.
#[derive(Debug)]
pub enum Error {
    /// An option is missing, malformed or out of range.
    InvalidOption(String),
    /// TLS configuration failed.
    Tls(String),
    /// A socket operation failed.
    Io(std::io::Error),
    /// A connection could not be started (bad address, endpoint closing…).
    Connect(String),
    /// The connection failed or was closed.
    Connection(CloseReason),
}

impl Error {
    /// The stable error code (`ERR_QUIC_*`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidOption(_) => "ERR_QUIC_INVALID_OPTION",
            Error::Tls(_) => "ERR_QUIC_TLS",
            Error::Io(_) => "ERR_QUIC_SOCKET",
            Error::Connect(_) => "ERR_QUIC_CONNECT",
            Error::Connection(reason) => reason.code(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::InvalidOption(m) | Error::Tls(m) | Error::Connect(m) => f.write_str(m),
            Error::Io(e) => write!(f, "socket error: {e}"),
            Error::Connection(reason) => f.write_str(&reason.message),
        }
    }
}

impl std::error::Error for Error {}

impl From<quinn::ConnectionError> for Error {
    fn from(error: quinn::ConnectionError) -> Self {
        Error::Connection(close_reason(&error))
    }
}
