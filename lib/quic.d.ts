/**
 * ghostkit/quic — ZQUIC: QUIC (RFC 9000) for Node on quinn + rustls (ring).
 *
 * ```ts
 * import { quic } from 'ghostkit'
 * const { ca, cert, key } = quic.generateCertificate()
 * const server = await quic.listen({ port: 0, cert, key, alpn: ['echo'] })
 * server.on('connection', (conn) => conn.on('stream', (s) => s.pipe(s)))
 * const conn = await quic.connect(`127.0.0.1:${server.address.port}`, { alpn: ['echo'], ca, servername: 'localhost' })
 * const stream = await conn.openBidirectionalStream()   // a Node Duplex
 * stream.end('hello')
 * for await (const chunk of stream) console.log(chunk.toString())
 * await conn.close(); await server.close()
 * ```
 *
 * Errors are `QuicError`s (TypeError/RangeError for bad arguments) with a stable `code`:
 * - `ERR_QUIC_INVALID_ARG`      — an argument has the wrong type or value (TypeError/RangeError)
 * - `ERR_QUIC_INVALID_OPTION`   — an option is malformed, out of range, or inconsistent
 *                                 (e.g. a server without cert/key, unparsable PEM)
 * - `ERR_QUIC_TLS`              — TLS configuration failed
 * - `ERR_QUIC_SOCKET`           — binding or using the UDP socket failed
 * - `ERR_QUIC_CONNECT`          — a connection could not be started (bad address, endpoint closing)
 * - `ERR_QUIC_ABORTED`          — `signal` aborted `connect` (name `AbortError`)
 * - `ERR_QUIC_CLOSED`           — the endpoint/connection/stream was used after close()/destroy()
 * - `ERR_QUIC_APPLICATION_CLOSED` — the peer closed the connection; `errorCode` is its application code
 * - `ERR_QUIC_TRANSPORT_ERROR`  — a QUIC transport error (handshake/TLS failures included; TLS
 *                                 alerts are `0x100 + alert`); `errorCode` is the transport code
 * - `ERR_QUIC_IDLE_TIMEOUT`     — no traffic for `idleTimeout` (peer gone)
 * - `ERR_QUIC_CONNECTION_RESET` — the peer sent a stateless reset
 * - `ERR_QUIC_VERSION_MISMATCH` / `ERR_QUIC_CONNECTION_LOST` — other connection failures
 * - `ERR_QUIC_STREAM_RESET`     — the peer reset the stream it was sending; `errorCode` is its code
 * - `ERR_QUIC_STREAM_STOPPED`   — the peer asked us to stop sending (STOP_SENDING); `errorCode`
 * - `ERR_QUIC_ZERO_RTT_REJECTED` — data written as 0-RTT was rejected by the server
 * - `ERR_QUIC_DATAGRAM`         — datagrams unsupported by the peer, or the datagram is too large
 */
import { EventEmitter } from 'node:events'
import { Duplex } from 'node:stream'
import type { ReadableStream, WritableStream } from 'node:stream/web'

/** A PEM string or its bytes. */
export type Pem = string | Uint8Array

/** The error of every QUIC failure. */
export class QuicError extends Error {
  /** Stable `ERR_QUIC_*` code. */
  readonly code: string
  /** The numeric application or transport error code, when the failure carries one. */
  readonly errorCode?: number
  /** The reason phrase the peer sent with its close, when any. */
  readonly reason?: string
}

/** Transport settings (both roles). Times are milliseconds, sizes bytes. */
export interface TransportOptions {
  /** Close a connection after this long without traffic. Default 30000; 0 disables. */
  idleTimeout?: number
  /** Send keep-alive packets at this interval. Default off (0). */
  keepAlive?: number
  /** Bidirectional streams the peer may have open at once. Default 100. */
  maxBidiStreams?: number
  /** Unidirectional streams the peer may have open at once. Default 100. */
  maxUniStreams?: number
  /** Per-stream receive window. Default 8 MiB. */
  streamReceiveWindow?: number
  /** Connection receive window. Default 32 MiB. */
  receiveWindow?: number
  /** Bytes buffered for sending per connection. Default 16 MiB. */
  sendWindow?: number
  /** Incoming datagram buffer; 0 disables receiving datagrams. Default 1 MiB. */
  datagramReceiveBuffer?: number
  /** Outgoing datagram buffer. Default 1 MiB. */
  datagramSendBuffer?: number
  /** Congestion controller. Default 'cubic'. */
  congestionControl?: 'cubic' | 'newreno' | 'bbr'
  /** Probe for a larger path MTU (PLPMTUD). Default true. */
  mtuDiscovery?: boolean
  /** Largest UDP payload MTU discovery tries (1200..65527). Default 1452 (Ethernet paths),
   *  8192 towards a loopback address; raise it on jumbo-frame LANs. Setting it applies to
   *  every peer, loopback included. Endpoints accept datagrams up to 65527 bytes. */
  maxUdpPayload?: number
  /** UDP payload size of the first packets (≥ 1200). Default 1200. */
  initialMtu?: number
  /** UDP payload size the path is known to carry: loss never lowers the MTU below it.
   *  Default 1200. Raise only on networks you control (loopback, a LAN). */
  minMtu?: number
}

/** TLS settings, named as in `node:tls`. */
export interface TlsOptions {
  /** ALPN protocols in preference order (required by most QUIC peers). */
  alpn?: string[]
  /** PEM certificate chain, leaf first (server; or client for mTLS). */
  cert?: Pem
  /** PEM private key (PKCS#8, PKCS#1 or SEC1). */
  key?: Pem
  /** PEM trust anchors. Clients without `ca` trust the webpki (Mozilla) roots. */
  ca?: Pem | Pem[]
  /** Verify the peer's certificate. Default true. */
  rejectUnauthorized?: boolean
  /** Log TLS secrets (NSS key log format) for Wireshark: a file path to append to.
   *  Without it, `SSLKEYLOGFILE` is honoured when set. */
  keylog?: string
}

/** UDP socket settings. */
export interface SocketOptions {
  /** `SO_RCVBUF`. Default 4 MiB (capped by the OS). */
  receiveBufferSize?: number
  /** `SO_SNDBUF`. Default 4 MiB (capped by the OS). */
  sendBufferSize?: number
  /** With an IPv6 host: do not accept IPv4 too. Default false. */
  ipv6Only?: boolean
}

/** Options of `listen` (a server endpoint that can also dial with `endpoint.connect`). */
export interface ListenOptions extends TlsOptions, TransportOptions, SocketOptions {
  /** UDP port; 0 (default) picks a free one — read it back from `endpoint.address`. */
  port?: number
  /** Local address. Default '0.0.0.0'; use '::' for dual-stack IPv6. */
  host?: string
  /** Ask clients for a certificate and verify it against `ca` (mTLS).
   *  With `rejectUnauthorized: false` a client without a certificate is still accepted. */
  requestCert?: boolean
  /** Accept 0-RTT early data from resuming clients. Early data can be replayed by an
   *  attacker: only enable it for idempotent requests. Default false. */
  earlyData?: boolean
}

/** Options of `createEndpoint` (a client endpoint; add cert/key to also serve). */
export interface EndpointOptions extends ListenOptions {}

/** Options of `connect`. */
export interface ConnectOptions extends TlsOptions, TransportOptions, SocketOptions {
  /** Name to verify the server as (SNI). Default: the host of `address` (an IP literal is verified against the certificate's IP SANs). */
  servername?: string
  /** Send 0-RTT early data when a session ticket for this server is cached. Replayable:
   *  only for idempotent requests. Check `connection.earlyData` for whether it was accepted. */
  earlyData?: boolean
  /** Abort the connection attempt. */
  signal?: AbortSignal
  /** Dial from this endpoint (shares its socket and session tickets). Without it a private
   *  endpoint is bound (`localAddress`, default '0.0.0.0:0' or '[::]:0') and closed with the
   *  connection; private endpoints of one process share one session-ticket store. */
  endpoint?: Endpoint
  /** Local address of the private endpoint, e.g. '127.0.0.1:0'. */
  localAddress?: string
}

/** A network address. */
export interface AddressInfo {
  address: string
  family: 'IPv4' | 'IPv6'
  port: number
}

/** `connection.stats()`: counters are BigInt, times milliseconds. */
export interface ConnectionStats {
  /** Smoothed round-trip time in milliseconds. */
  rtt: number
  /** Congestion window in bytes. */
  congestionWindow: bigint
  congestionEvents: bigint
  lostPackets: bigint
  lostBytes: bigint
  sentPackets: bigint
  /** UDP payload bytes sent/received. */
  bytesSent: bigint
  bytesReceived: bigint
  datagramsSent: bigint
  datagramsReceived: bigint
  /** Current path MTU (largest UDP payload in use). */
  mtu: number
}

/** How a connection ended (the value `connection.closed` resolves to). */
export interface CloseInfo {
  /** 'application' | 'transport' | 'timeout' | 'reset' | 'local' | 'version' | 'cids' */
  kind: string
  /** The application or transport code, when any. */
  errorCode?: number
  reason: string
  /** The same as a QuicError (what stream operations fail with). */
  error: QuicError
}

/** A QUIC stream: a Node Duplex. A unidirectional stream is only readable (incoming)
 *  or only writable (outgoing). `end()` sends FIN (half-close); reading ends at the
 *  peer's FIN. `destroy()` without error after both sides are done is clean; destroying
 *  early resets/stops the open halves with code 0. */
export class QuicStream extends Duplex {
  /** The QUIC stream id. */
  readonly id: bigint
  /** 'bidi' or 'uni'. */
  readonly direction: 'bidi' | 'uni'
  /** True when the peer opened it. */
  readonly incoming: boolean
  readonly connection: Connection
  /** Abruptly end the sending half with an application code (RESET_STREAM). */
  reset(code?: number): void
  /** Ask the peer to stop sending, with an application code (STOP_SENDING); reading ends. */
  stopSending(code?: number): void
  /** Web stream views over this stream (Duplex.toWeb). */
  toWeb(): { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }
}

/** A QUIC connection. Events: 'stream' (QuicStream), 'datagram' (Buffer), 'close' (CloseInfo). */
export class Connection extends EventEmitter {
  readonly endpoint: Endpoint
  readonly remoteAddress: AddressInfo
  /** The negotiated ALPN protocol, or null. */
  readonly alpnProtocol: string | null
  /** Server side: the SNI name the client sent, or null. */
  readonly servername: string | null
  /** Resolves once the handshake is complete (at once for connections from `connect`
   *  without early data). Rejects if the handshake fails. */
  readonly opened: Promise<void>
  /** Resolves (never rejects) when the connection is closed, with the reason. */
  readonly closed: Promise<CloseInfo>
  /** Client: whether the server accepted 0-RTT early data (false when none was sent).
   *  Server: always false. */
  readonly earlyData: Promise<boolean>
  /** Incoming streams, in arrival order (also emitted as 'stream'). */
  readonly incomingStreams: AsyncIterable<QuicStream>
  /** True once closed. */
  readonly isClosed: boolean
  /** The peer's certificate chain as DER Buffers, leaf first (empty when none). */
  getPeerCertificates(): Buffer[]
  /** Largest datagram the peer accepts now, or null when it does not support datagrams. */
  readonly maxDatagramSize: number | null
  openBidirectionalStream(): Promise<QuicStream>
  openUnidirectionalStream(): Promise<QuicStream>
  /** Sends an unreliable datagram (RFC 9221). Throws ERR_QUIC_DATAGRAM when too large. */
  sendDatagram(data: Uint8Array | string): void
  stats(): ConnectionStats
  /** Closes with an application code and reason the peer sees; resolves when closed. */
  close(code?: number, reason?: string): Promise<void>
  /** Closes at once with code 0. */
  destroy(): void
  /** Keep / do not keep the process alive for this connection (applies to its endpoint). */
  ref(): this
  unref(): this
  [Symbol.asyncDispose](): Promise<void>
  [Symbol.asyncIterator](): AsyncIterator<QuicStream>
}

/** A UDP socket that serves (listen) and/or dials (connect). Events: 'connection', 'close'. */
export class Endpoint extends EventEmitter {
  readonly address: AddressInfo
  /** True when it accepts connections. */
  readonly listening: boolean
  /** Incoming connections (also emitted as 'connection'). */
  readonly connections: AsyncIterable<Connection>
  /** Dials from this endpoint (shares its socket and session tickets). */
  connect(address: string | { host: string; port: number }, options?: ConnectOptions): Promise<Connection>
  /** Moves to a new local socket (connection migration): open connections continue from
   *  the new address. Default: the same host, a new port. */
  rebind(address?: string): void
  /** Stops accepting, closes every connection with `code` and waits until the peers know. */
  close(code?: number, reason?: string): Promise<void>
  /** Closes at once. */
  destroy(): void
  /** A ref'd endpoint (the default) keeps the process alive until closed. */
  ref(): this
  unref(): this
  [Symbol.asyncDispose](): Promise<void>
  [Symbol.asyncIterator](): AsyncIterator<Connection>
}

export function listen(options: ListenOptions): Promise<Endpoint>
/** A client endpoint (add cert/key to serve as well). */
export function createEndpoint(options?: EndpointOptions): Promise<Endpoint>
/** `address`: 'host:port', '[v6]:port', or { host, port }. */
export function connect(address: string | { host: string; port: number }, options?: ConnectOptions): Promise<Connection>

/** A development CA and a leaf it signs (`CA:FALSE`), PEM. Default names:
 *  localhost, 127.0.0.1, ::1. */
export function generateCertificate(names?: string[]): {
  ca: string
  caKey: string
  cert: string
  key: string
}
