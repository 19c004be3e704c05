//! An endpoint: one UDP socket that accepts connections, dials them, or both.

use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

use super::Error;
use super::config::{self, ClientConfigCache, TlsOptions, TransportOptions};
use super::socket::Batched;

/// Socket settings of an endpoint.
#[derive(Clone, Debug)]
pub struct SocketOptions {
    /// Local address to bind (port 0 picks a free port).
    pub address: SocketAddr,
    /// `SO_RCVBUF` in bytes (default 4 MiB, capped by the OS; large so loopback bursts
    /// are not dropped).
    pub receive_buffer: usize,
    /// `SO_SNDBUF` in bytes (default 4 MiB, capped by the OS).
    pub send_buffer: usize,
    /// Only IPv6 on an IPv6 socket (default false: dual-stack).
    pub ipv6_only: bool,
}

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            address: SocketAddr::from(([0, 0, 0, 0], 0)),
            receive_buffer: 4 << 20,
            send_buffer: 4 << 20,
            ipv6_only: false,
        }
    }
}

/// Binds a UDP socket with the buffer sizes of `options`.
pub fn bind_socket(options: &SocketOptions) -> Result<UdpSocket, Error> {
    let domain = if options.address.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).map_err(Error::Io)?;
    if options.address.is_ipv6() {
        socket.set_only_v6(options.ipv6_only).map_err(Error::Io)?;
    }
    // The OS caps these at its maximum (net.core.rmem_max); a smaller buffer is not an error.
    let _ = socket.set_recv_buffer_size(options.receive_buffer);
    let _ = socket.set_send_buffer_size(options.send_buffer);
    socket.bind(&options.address.into()).map_err(Error::Io)?;
    Ok(socket.into())
}

/// Everything an endpoint is made from.
#[derive(Clone, Debug, Default)]
pub struct EndpointOptions {
    /// The UDP socket.
    pub socket: SocketOptions,
    /// Server TLS settings; `None` makes a client-only endpoint.
    pub server: Option<TlsOptions>,
    /// Default client TLS settings for [`Endpoint::connect`].
    pub client: TlsOptions,
    /// Transport settings for both roles.
    pub transport: TransportOptions,
    /// The client configurations to dial with; `None` gives the endpoint its own. Sharing
    /// one cache between endpoints lets a connection from one resume a session of another.
    pub client_configs: Option<ClientConfigCache>,
    /// The async runtime that drives the endpoint (its socket, timers and tasks); `None`
    /// uses the tokio runtime the endpoint is created in. The Node binding passes one that
    /// runs on the JS thread's event loop.
    pub runtime: Option<Arc<dyn quinn::Runtime>>,
}

/// A QUIC endpoint over quinn. Without [`EndpointOptions::runtime`] it must be created
/// inside a tokio runtime.
#[derive(Debug)]
pub struct Endpoint {
    inner: quinn::Endpoint,
    runtime: Arc<dyn quinn::Runtime>,
    /// The server configuration for loopback peers (larger MTU), when it differs.
    loopback_server: Option<Arc<quinn::ServerConfig>>,
    client_configs: ClientConfigCache,
    options: EndpointOptions,
}

impl Endpoint {
    /// Binds the socket and starts the endpoint.
    pub fn bind(options: EndpointOptions) -> Result<Self, Error> {
        let server = match &options.server {
            Some(tls) => Some(config::server_config(tls, &options.transport)?),
            None => None,
        };
        let loopback = options
            .transport
            .for_peer(SocketAddr::from(([127, 0, 0, 1], 0)));
        let loopback_server = match &options.server {
            Some(tls) if options.transport.max_udp_payload.is_none() => {
                Some(Arc::new(config::server_config(tls, &loopback)?))
            }
            _ => None,
        };
        let mut endpoint_config = quinn::EndpointConfig::default();
        endpoint_config
            .max_udp_payload_size(u16::MAX - 8)
            .map_err(|_| Error::InvalidOption("maxUdpPayload is out of range".into()))?;
        let socket = bind_socket(&options.socket)?;
        let runtime = match &options.runtime {
            Some(runtime) => runtime.clone(),
            None => quinn::default_runtime()
                .ok_or_else(|| Error::Io(std::io::Error::other("no tokio runtime")))?,
        };
        let socket = Batched::wrap(&*runtime, socket).map_err(Error::Io)?;
        let inner = quinn::Endpoint::new_with_abstract_socket(
            endpoint_config,
            server,
            socket,
            runtime.clone(),
        )
        .map_err(Error::Io)?;
        Ok(Endpoint {
            inner,
            runtime,
            loopback_server,
            client_configs: options.client_configs.clone().unwrap_or_default(),
            options,
        })
    }

    /// The quinn endpoint underneath.
    pub fn quinn(&self) -> &quinn::Endpoint {
        &self.inner
    }

    /// The bound local address.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        self.inner.local_addr().map_err(Error::Io)
    }

    /// Accepts an incoming connection attempt (from [`quinn::Endpoint::accept`]) with the
    /// server configuration for its peer: a loopback peer may use larger datagrams
    /// ([`TransportOptions::for_peer`]).
    pub fn accept(
        &self,
        incoming: quinn::Incoming,
    ) -> Result<quinn::Connecting, quinn::ConnectionError> {
        match &self.loopback_server {
            Some(config) if incoming.remote_address().ip().to_canonical().is_loopback() => {
                incoming.accept_with(config.clone())
            }
            _ => incoming.accept(),
        }
    }

    /// Starts a connection to `address`, verifying the server as `server_name`. `tls`
    /// overrides the endpoint's default client settings for this connection; either way
    /// the endpoint's session store is used, so later connections can resume (0-RTT).
    pub fn connect(
        &self,
        address: SocketAddr,
        server_name: &str,
        tls: Option<&TlsOptions>,
    ) -> Result<quinn::Connecting, Error> {
        let transport = self.options.transport.for_peer(address);
        let mut client = self
            .client_configs
            .get(tls.unwrap_or(&self.options.client), &transport)?;
        client.token_store(self.client_configs.tokens_for(address));
        self.inner
            .connect_with(client, address, server_name)
            .map_err(|e| Error::Connect(e.to_string()))
    }

    /// Moves the endpoint to a new socket bound to `address` (client migration): open
    /// connections continue from the new address.
    pub fn rebind(&self, address: SocketAddr) -> Result<(), Error> {
        let socket = bind_socket(&SocketOptions {
            address,
            ..self.options.socket.clone()
        })?;
        let socket = Batched::wrap(&*self.runtime, socket).map_err(Error::Io)?;
        self.inner.rebind_abstract(socket).map_err(Error::Io)
    }
}
