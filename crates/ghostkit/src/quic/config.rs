//! Options (named after Node's TLS options where one exists) and the quinn/rustls
//! configurations built from them.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quinn::congestion::{BbrConfig, CubicConfig, NewRenoConfig};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{IdleTimeout, MtuDiscoveryConfig, TransportConfig, VarInt};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionMemoryCache, Resumption};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, KeyLog, KeyLogFile, RootCertStore, SignatureScheme};

use super::Error;

/// The congestion controller of a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CongestionController {
    /// CUBIC (RFC 9438), quinn's default.
    #[default]
    Cubic,
    /// NewReno (RFC 9002).
    NewReno,
    /// BBR (experimental in quinn).
    Bbr,
}

impl CongestionController {
    /// Parses `cubic`, `newreno` or `bbr`.
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "cubic" => Ok(Self::Cubic),
            "newreno" => Ok(Self::NewReno),
            "bbr" => Ok(Self::Bbr),
            other => Err(Error::InvalidOption(format!(
                "congestionControl must be 'cubic', 'newreno' or 'bbr', not '{other}'"
            ))),
        }
    }
}

/// Transport settings shared by both roles. `None` keeps the default noted on each field.
#[derive(Clone, Debug, Default)]
pub struct TransportOptions {
    /// Close a connection after this long without traffic (default 30 s; 0 disables).
    pub idle_timeout_ms: Option<u64>,
    /// Send keep-alive packets at this interval (default off).
    pub keep_alive_ms: Option<u64>,
    /// Bidirectional streams the peer may have open at once (default 100).
    pub max_bidi_streams: Option<u64>,
    /// Unidirectional streams the peer may have open at once (default 100).
    pub max_uni_streams: Option<u64>,
    /// Per-stream receive window in bytes (default 8 MiB).
    pub stream_receive_window: Option<u64>,
    /// Connection receive window in bytes (default 32 MiB).
    pub receive_window: Option<u64>,
    /// Bytes buffered for sending per connection (default 16 MiB).
    pub send_window: Option<u64>,
    /// Incoming datagram buffer in bytes, 0 disables datagrams (default 1 MiB).
    pub datagram_receive_buffer: Option<u64>,
    /// Outgoing datagram buffer in bytes (default 1 MiB).
    pub datagram_send_buffer: Option<u64>,
    /// Congestion controller (default cubic).
    pub congestion_controller: CongestionController,
    /// Probe for a larger path MTU (default on).
    pub mtu_discovery: Option<bool>,
    /// Largest UDP payload that MTU discovery tries (default 1452, quinn's choice for
    /// Ethernet paths, and [`LOOPBACK_MAX_UDP_PAYLOAD`] towards a loopback address; see
    /// [`TransportOptions::for_peer`]). The endpoint accepts datagrams up to 65527 bytes
    /// whatever this is.
    pub max_udp_payload: Option<u16>,
    /// The UDP payload size to start with (default 1200; the first packets must fit the path).
    pub initial_mtu: Option<u16>,
    /// The UDP payload size the path is known to carry; loss never lowers the MTU below it
    /// (default 1200). Only raise it on networks you control (loopback, a LAN).
    pub min_mtu: Option<u16>,
}

const MIB: u64 = 1024 * 1024;

/// The largest UDP payload MTU discovery tries towards a loopback peer when
/// `max_udp_payload` is not set. Each packet costs quinn about the same CPU whatever its
/// size, so on loopback (Linux `lo` carries 64 KiB datagrams) larger packets move bulk data
/// with far fewer packets, syscalls and acknowledgements: 8 KiB packets needed 0.6 of the
/// CPU of 1452-byte ones for the same transfer, 64 KiB ones about 0.8 of 8 KiB. But the
/// probes of larger sizes hold up the first requests of a new connection: a connection that
/// sends 1 KiB and closes took 0.75 ms for its echo at 8 KiB, 5 ms at 64 KiB (handshake
/// and echo: 420 → 100 per second; 16 KiB: 330). So the default stops at 8 KiB; bulk
/// transfers can set `max_udp_payload`. Discovery starts from `initial_mtu` and only keeps
/// a size the path carried.
pub const LOOPBACK_MAX_UDP_PAYLOAD: u16 = 8192;

fn var(name: &str, value: u64) -> Result<VarInt, Error> {
    VarInt::from_u64(value)
        .map_err(|_| Error::InvalidOption(format!("{name} is out of range: {value}")))
}

impl TransportOptions {
    /// The options for a connection with `peer`: towards a loopback address MTU discovery
    /// may go up to [`LOOPBACK_MAX_UDP_PAYLOAD`] unless `max_udp_payload` was set.
    pub fn for_peer(&self, peer: std::net::SocketAddr) -> TransportOptions {
        let mut options = self.clone();
        if peer.ip().to_canonical().is_loopback() && options.max_udp_payload.is_none() {
            options.max_udp_payload = Some(LOOPBACK_MAX_UDP_PAYLOAD);
        }
        options
    }

    /// The quinn transport configuration.
    pub fn build(&self) -> Result<TransportConfig, Error> {
        let mut t = TransportConfig::default();
        let idle = self.idle_timeout_ms.unwrap_or(30_000);
        t.max_idle_timeout(if idle == 0 {
            None
        } else {
            Some(
                IdleTimeout::try_from(Duration::from_millis(idle)).map_err(|_| {
                    Error::InvalidOption(format!("idleTimeout is out of range: {idle}"))
                })?,
            )
        });
        t.keep_alive_interval(
            self.keep_alive_ms
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis),
        );
        t.max_concurrent_bidi_streams(var("maxBidiStreams", self.max_bidi_streams.unwrap_or(100))?);
        t.max_concurrent_uni_streams(var("maxUniStreams", self.max_uni_streams.unwrap_or(100))?);
        t.stream_receive_window(var(
            "streamReceiveWindow",
            self.stream_receive_window.unwrap_or(8 * MIB),
        )?);
        t.receive_window(var(
            "receiveWindow",
            self.receive_window.unwrap_or(32 * MIB),
        )?);
        t.send_window(self.send_window.unwrap_or(16 * MIB));
        let datagram_rx = self.datagram_receive_buffer.unwrap_or(MIB);
        t.datagram_receive_buffer_size((datagram_rx > 0).then_some(datagram_rx as usize));
        t.datagram_send_buffer_size(self.datagram_send_buffer.unwrap_or(MIB) as usize);
        let min_mtu = self.min_mtu.unwrap_or(1200);
        let initial_mtu = self.initial_mtu.unwrap_or(1200).max(min_mtu);
        if min_mtu < 1200 {
            return Err(Error::InvalidOption(format!(
                "minMtu must be at least 1200, not {min_mtu}"
            )));
        }
        if initial_mtu < 1200 {
            return Err(Error::InvalidOption(format!(
                "initialMtu must be at least 1200, not {initial_mtu}"
            )));
        }
        t.min_mtu(min_mtu);
        t.initial_mtu(initial_mtu);
        if self.mtu_discovery.unwrap_or(true) {
            let mut mtu = MtuDiscoveryConfig::default();
            mtu.upper_bound(self.max_udp_payload.unwrap_or(1452).max(initial_mtu));
            t.mtu_discovery_config(Some(mtu));
        } else {
            t.mtu_discovery_config(None);
        }
        match self.congestion_controller {
            CongestionController::Cubic => {
                t.congestion_controller_factory(Arc::new(CubicConfig::default()))
            }
            CongestionController::NewReno => {
                t.congestion_controller_factory(Arc::new(NewRenoConfig::default()))
            }
            CongestionController::Bbr => {
                t.congestion_controller_factory(Arc::new(BbrConfig::default()))
            }
        };
        Ok(t)
    }
}

/// Where TLS secrets are logged for Wireshark (NSS key log format).
#[derive(Clone, Debug, Default)]
pub enum Keylog {
    /// Log to the file named by `SSLKEYLOGFILE` when it is set (rustls' own behaviour).
    #[default]
    Environment,
    /// Append to this file.
    File(String),
}

/// TLS settings of one role (Node's option names in the comments).
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// `alpn`: protocols in preference order.
    pub alpn: Vec<String>,
    /// `cert`: PEM certificate chain, leaf first.
    pub cert: Option<String>,
    /// `key`: PEM private key.
    pub key: Option<String>,
    /// `ca`: PEM trust anchors; without it clients trust the webpki roots.
    pub ca: Option<String>,
    /// `rejectUnauthorized`: verify the peer (default true).
    pub reject_unauthorized: Option<bool>,
    /// `requestCert` (server): ask clients for a certificate (mTLS).
    pub request_cert: bool,
    /// Accept 0-RTT early data (server) / send it when resuming (client).
    pub early_data: bool,
    /// Key logging.
    pub keylog: Keylog,
}

/// rustls's ring provider with AES-128-GCM preferred over AES-256-GCM (then
/// ChaCha20-Poly1305), the order browsers and most QUIC stacks offer: both are TLS 1.3's
/// AEADs, AES-128 takes 10 AES rounds per block instead of 14 (a bulk transfer on loopback
/// spends about a fifth of its CPU in AES-GCM), and QUIC's Initial packets use it anyway.
fn provider() -> Arc<CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider
        .cipher_suites
        .sort_by_key(|suite| match suite.suite() {
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256 => 0,
            rustls::CipherSuite::TLS13_AES_256_GCM_SHA384 => 1,
            _ => 2,
        });
    Arc::new(provider)
}

fn certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let list = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidOption(format!("cert/ca is not valid PEM: {e}")))?;
    if list.is_empty() {
        return Err(Error::InvalidOption(
            "cert/ca holds no PEM certificate".into(),
        ));
    }
    Ok(list)
}

fn private_key(pem: &str) -> Result<PrivateKeyDer<'static>, Error> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| Error::InvalidOption(format!("key is not a valid PEM private key: {e}")))
}

fn roots(ca: Option<&str>) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    match ca {
        Some(pem) => {
            for cert in certs(pem)? {
                store
                    .add(cert)
                    .map_err(|e| Error::InvalidOption(format!("ca certificate rejected: {e}")))?;
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(store)
}

fn alpn(list: &[String]) -> Vec<Vec<u8>> {
    list.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// Appends NSS key log lines to a file.
#[derive(Debug)]
struct KeylogFile(Mutex<std::fs::File>);

impl KeyLog for KeylogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        if let Ok(mut file) = self.0.lock() {
            // Key logging is best effort by design: a full disk must not break the connection.
            let _ = file.write_all(line.as_bytes());
        }
    }
}

fn keylog(option: &Keylog) -> Result<Arc<dyn KeyLog>, Error> {
    Ok(match option {
        Keylog::Environment => Arc::new(KeyLogFile::new()),
        Keylog::File(path) => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| Error::InvalidOption(format!("keylog file {path}: {e}")))?;
            Arc::new(KeylogFile(Mutex::new(file)))
        }
    })
}

/// Accepts any server certificate but still checks the handshake signature
/// (`rejectUnauthorized: false`).
#[derive(Debug)]
struct AcceptAnyServer(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Client configurations of one endpoint (or of several), one per distinct set of
/// options. quinn only resumes a session (and sends 0-RTT) through the client
/// configuration that received its ticket, so a fresh configuration per connection would
/// silently lose resumption: connections with the same options share one.
#[derive(Clone, Debug, Default)]
pub struct ClientConfigCache {
    configs: Arc<Mutex<HashMap<String, quinn::ClientConfig>>>,
    /// Address-validation tokens (NEW_TOKEN) of every configuration, by server name and address.
    tokens: Arc<quinn::TokenMemoryCache>,
}

/// The token store of connections to one server address. quinn keys NEW_TOKEN tokens by
/// server name alone, so a token from one server would be offered to another server of
/// the same name (two ports of one host): RFC 9000 §8.1.3 forbids that, and some servers
/// (quiche in @matrixai/quic) silently drop every Initial carrying a token they did not
/// issue, so the handshake hung until the idle timeout.
struct AddressTokens {
    tokens: Arc<quinn::TokenMemoryCache>,
    address: SocketAddr,
}

impl AddressTokens {
    fn key(&self, server_name: &str) -> String {
        format!("{server_name} {}", self.address)
    }
}

impl quinn::TokenStore for AddressTokens {
    fn insert(&self, server_name: &str, token: bytes::Bytes) {
        self.tokens.insert(&self.key(server_name), token);
    }

    fn take(&self, server_name: &str) -> Option<bytes::Bytes> {
        self.tokens.take(&self.key(server_name))
    }
}

/// Distinct client option sets kept per cache; beyond it the cache starts over.
const CLIENT_CONFIGS_MAX: usize = 64;

impl ClientConfigCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The configuration for `tls` and `transport`, built on first use.
    pub fn get(
        &self,
        tls: &TlsOptions,
        transport: &TransportOptions,
    ) -> Result<quinn::ClientConfig, Error> {
        let key = format!("{tls:?}|{transport:?}");
        let mut configs = self.configs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(config) = configs.get(&key) {
            return Ok(config.clone());
        }
        let config = client_config(tls, transport)?;
        if configs.len() >= CLIENT_CONFIGS_MAX {
            configs.clear();
        }
        configs.insert(key, config.clone());
        Ok(config)
    }

    /// The token store for connections to `address` (shared by every configuration).
    pub fn tokens_for(&self, address: SocketAddr) -> Arc<dyn quinn::TokenStore> {
        Arc::new(AddressTokens {
            tokens: self.tokens.clone(),
            address,
        })
    }
}

/// A new quinn client configuration for `tls` with its own session store.
pub fn client_config(
    tls: &TlsOptions,
    transport: &TransportOptions,
) -> Result<quinn::ClientConfig, Error> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| Error::Tls(e.to_string()))?;
    let builder = if tls.reject_unauthorized.unwrap_or(true) {
        builder.with_root_certificates(roots(tls.ca.as_deref())?)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServer(provider)))
    };
    let mut config = match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(certs(cert)?, private_key(key)?)
            .map_err(|e| Error::InvalidOption(format!("client cert/key rejected: {e}")))?,
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(Error::InvalidOption(
                "cert and key must be given together".into(),
            ));
        }
    };
    config.alpn_protocols = alpn(&tls.alpn);
    config.resumption = Resumption::store(Arc::new(ClientSessionMemoryCache::new(256)));
    config.enable_early_data = tls.early_data;
    config.key_log = keylog(&tls.keylog)?;
    let crypto = QuicClientConfig::try_from(config).map_err(|e| Error::Tls(e.to_string()))?;
    let mut client = quinn::ClientConfig::new(Arc::new(crypto));
    client.transport_config(Arc::new(transport.build()?));
    Ok(client)
}

/// The quinn server configuration for `tls` (requires `cert` and `key`).
pub fn server_config(
    tls: &TlsOptions,
    transport: &TransportOptions,
) -> Result<quinn::ServerConfig, Error> {
    let (Some(cert), Some(key)) = (&tls.cert, &tls.key) else {
        return Err(Error::InvalidOption(
            "a server needs cert and key (PEM)".into(),
        ));
    };
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| Error::Tls(e.to_string()))?;
    let builder = if tls.request_cert {
        let Some(ca) = tls.ca.as_deref() else {
            return Err(Error::InvalidOption(
                "requestCert needs ca to verify clients".into(),
            ));
        };
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots(Some(ca))?), provider());
        let verifier = if tls.reject_unauthorized.unwrap_or(true) {
            verifier
        } else {
            verifier.allow_unauthenticated()
        };
        builder.with_client_cert_verifier(
            verifier
                .build()
                .map_err(|e| Error::InvalidOption(format!("client verifier: {e}")))?,
        )
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder
        .with_single_cert(certs(cert)?, private_key(key)?)
        .map_err(|e| Error::InvalidOption(format!("server cert/key rejected: {e}")))?;
    config.alpn_protocols = alpn(&tls.alpn);
    config.key_log = keylog(&tls.keylog)?;
    if tls.early_data {
        // QUIC requires exactly this value when early data is enabled (RFC 9001 §4.6.1).
        config.max_early_data_size = u32::MAX;
    }
    let crypto = QuicServerConfig::try_from(config).map_err(|e| Error::Tls(e.to_string()))?;
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    server.transport_config(Arc::new(transport.build()?));
    server.migration(true);
    Ok(server)
}
