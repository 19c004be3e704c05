'use strict'
// ghostkit/quic: EventEmitter / Duplex / async-iterator API over the native endpoint
// (src/quic). Every endpoint reports waiting operations through one callback,
// `(kind, target, payload)`; this file routes them by target id (process-unique ids of
// connections and streams) and keeps at most one read and one write in flight per stream.

const { EventEmitter } = require('node:events')
const { Duplex } = require('node:stream')
const dns = require('node:dns')
const net = require('node:net')
const native = require('./native.js')

const KIND = {
  CONNECTION: 1,
  CONNECTED: 2,
  STREAM: 3,
  DATAGRAM: 4,
  CLOSED: 5,
  READ: 6,
  WRITTEN: 7,
  OPENED: 8,
  EARLY_DATA: 9,
  ENDPOINT_CLOSED: 10,
  HANDSHAKE_FAILED: 11,
}

/** Bytes asked of the native side per read: large, so bulk data crosses napi rarely. */
const READ_MAX_BYTES = 1 << 20
/** Writes of at least this many bytes hand the Buffer itself to the stream. */
const ZERO_COPY_BYTES = 64 << 10
/** Incoming connections/streams buffered while nobody consumes them. */
const BACKLOG_MAX = 64
const HANDSHAKES_MAX = 256

class QuicError extends Error {
  constructor(message, code, errorCode, reason) {
    super(message)
    this.name = 'QuicError'
    this.code = code
    if (errorCode !== undefined && errorCode !== null) this.errorCode = errorCode
    if (reason) this.reason = reason
  }
}

function argError(message, code = 'ERR_QUIC_INVALID_ARG', Kind = TypeError) {
  const error = new Kind(message)
  error.code = code
  return error
}

function optionError(message) {
  return argError(message, 'ERR_QUIC_INVALID_OPTION', RangeError)
}

/** The QuicError behind a native exception (`code\x01errorCode\x01message`). */
function fromNative(error) {
  const parts = typeof error?.message === 'string' ? error.message.split('\x01') : []
  if (parts.length !== 3) return error
  const [code, numeric, message] = parts
  if (code === 'ERR_QUIC_INVALID_ARG') return argError(message, code, RangeError)
  if (code === 'ERR_QUIC_INVALID_OPTION') return optionError(message)
  return new QuicError(message, code, numeric === '' ? undefined : Number(numeric))
}

function fromInfo(info) {
  return new QuicError(info.message, info.code, info.errorCode ?? undefined, info.reason ?? undefined)
}

function call(fn) {
  try {
    return fn()
  } catch (error) {
    throw fromNative(error)
  }
}

function closedError(what) {
  return new QuicError(`the ${what} is closed`, 'ERR_QUIC_CLOSED')
}

function errorCode(code, name = 'code') {
  if (code === undefined) return 0n
  if (typeof code === 'bigint') {
    if (code >= 0n && code < 1n << 62n) return code
  } else if (Number.isSafeInteger(code) && code >= 0) {
    return BigInt(code)
  }
  throw argError(`${name} must be an integer in 0..2^62-1`, 'ERR_QUIC_INVALID_ARG', RangeError)
}

function reasonString(reason) {
  if (reason === undefined) return ''
  if (typeof reason !== 'string') throw argError('reason must be a string')
  return reason
}

// ---- options -------------------------------------------------------------------

function pem(value, name) {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1')
  throw optionError(`${name} must be a PEM string or bytes`)
}

function pemList(value, name) {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map((v) => pem(v, name)).join('\n')
  return pem(value, name)
}

function bool(options, name) {
  const value = options[name]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw optionError(`${name} must be a boolean`)
  return value
}

function int(options, name, min = 0, max = Number.MAX_SAFE_INTEGER) {
  const value = options[name]
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw optionError(`${name} must be an integer in ${min}..${max}, not ${String(value)}`)
  }
  return value
}

function tlsOptions(options) {
  const alpn = options.alpn ?? []
  if (!Array.isArray(alpn) || alpn.some((p) => typeof p !== 'string' || p.length === 0 || p.length > 255)) {
    throw optionError('alpn must be an array of non-empty strings')
  }
  if (options.keylog !== undefined && typeof options.keylog !== 'string') {
    throw optionError('keylog must be a file path')
  }
  return {
    alpn,
    cert: pemList(options.cert, 'cert'),
    key: pem(options.key, 'key'),
    ca: pemList(options.ca, 'ca'),
    rejectUnauthorized: bool(options, 'rejectUnauthorized'),
    requestCert: bool(options, 'requestCert'),
    earlyData: bool(options, 'earlyData'),
    keylog: options.keylog,
  }
}

const CONGESTION = ['cubic', 'newreno', 'bbr']

function endpointOptions(options, address, { server, sharedSessions }) {
  if (options.congestionControl !== undefined && !CONGESTION.includes(options.congestionControl)) {
    throw optionError(`congestionControl must be one of ${CONGESTION.join(', ')}`)
  }
  const tls = tlsOptions(options)
  if (server && (tls.cert === undefined || tls.key === undefined)) {
    throw optionError('a server needs cert and key (PEM)')
  }
  return {
    address,
    receiveBufferSize: int(options, 'receiveBufferSize', 1, 2 ** 31 - 1),
    sendBufferSize: int(options, 'sendBufferSize', 1, 2 ** 31 - 1),
    ipv6Only: bool(options, 'ipv6Only'),
    server: server ? tls : undefined,
    client: { ...tls, cert: server ? undefined : tls.cert, key: server ? undefined : tls.key },
    idleTimeout: int(options, 'idleTimeout'),
    keepAlive: int(options, 'keepAlive'),
    maxBidiStreams: int(options, 'maxBidiStreams'),
    maxUniStreams: int(options, 'maxUniStreams'),
    streamReceiveWindow: int(options, 'streamReceiveWindow'),
    receiveWindow: int(options, 'receiveWindow'),
    sendWindow: int(options, 'sendWindow'),
    datagramReceiveBuffer: int(options, 'datagramReceiveBuffer'),
    datagramSendBuffer: int(options, 'datagramSendBuffer'),
    congestionControl: options.congestionControl,
    mtuDiscovery: bool(options, 'mtuDiscovery'),
    maxUdpPayload: int(options, 'maxUdpPayload', 1200, 65527),
    initialMtu: int(options, 'initialMtu', 1200, 65527),
    minMtu: int(options, 'minMtu', 1200, 65527),
    sharedSessions,
  }
}

function checkOptions(options, what) {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object') throw argError(`${what} options must be an object`)
  return options
}

/** 'host:port' | '[v6]:port' | { host, port } → { host, port }. */
function parseAddress(address) {
  let host
  let port
  if (typeof address === 'string') {
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address)
    if (!match) throw argError(`address must be 'host:port' or '[ipv6]:port', not '${address}'`, 'ERR_QUIC_INVALID_ARG', RangeError)
    host = match[1]
    port = Number(match[2])
  } else if (address && typeof address === 'object') {
    host = address.host
    port = address.port
  } else {
    throw argError('address must be a string or { host, port }')
  }
  if (typeof host !== 'string' || host.length === 0) throw argError('address host must be a non-empty string')
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw argError(`address port must be 1..65535, not ${String(port)}`, 'ERR_QUIC_INVALID_ARG', RangeError)
  }
  return { host, port }
}

function socketAddress(host, port) {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`
}

function addressInfo(text) {
  const match = /^\[(.*)\]:(\d+)$/.exec(text) ?? /^(.*):(\d+)$/.exec(text)
  const address = match[1]
  return { address, family: net.isIPv6(address) ? 'IPv6' : 'IPv4', port: Number(match[2]) }
}

// ---- routing ---------------------------------------------------------------------

/** Connections and streams by native id. */
const targets = new Map()

/** A FIFO that async iterators wait on; bounded by its producers. */
class Backlog {
  #items = []
  #waiters = []
  #ended = false
  iterating = 0

  get size() {
    return this.#items.length
  }

  push(item) {
    const waiter = this.#waiters.shift()
    if (waiter) waiter.resolve({ value: item, done: false })
    else this.#items.push(item)
  }

  end() {
    this.#ended = true
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ value: undefined, done: true })
  }

  drain() {
    return this.#items.splice(0)
  }

  next() {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift(), done: false })
    if (this.#ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => this.#waiters.push({ resolve }))
  }

  iterator(onPull) {
    const backlog = this
    backlog.iterating++
    let done = false
    const finish = () => {
      if (!done) {
        done = true
        backlog.iterating--
      }
      return Promise.resolve({ value: undefined, done: true })
    }
    return {
      next() {
        if (done) return Promise.resolve({ value: undefined, done: true })
        const result = backlog.next()
        onPull()
        return result.then((r) => (r.done ? finish() : r))
      },
      return: finish,
      [Symbol.asyncIterator]() {
        return this
      },
    }
  }
}

// ---- streams ----------------------------------------------------------------------

class QuicStream extends Duplex {
  #native
  #reading = false
  #writeCallback = null
  #abandonedSend = false
  #abandonedRecv = false
  // The native halves' own state: `writable`/`readable` are false once destroyed.
  #sendFinished = false
  #recvEnded = false

  constructor(handle, connection, incoming) {
    super({
      allowHalfOpen: true,
      readable: handle.readable,
      writable: handle.writable,
      readableHighWaterMark: READ_MAX_BYTES,
      writableHighWaterMark: READ_MAX_BYTES,
    })
    this.#native = handle
    this.connection = connection
    this.incoming = incoming
    this.id = handle.streamId
    this.direction = handle.readable && handle.writable ? 'bidi' : 'uni'
    targets.set(handle.id, this)
  }

  _read() {
    if (!this.#reading) this.#pump()
  }

  #pump() {
    for (;;) {
      let result
      try {
        result = this.#native.read(READ_MAX_BYTES)
      } catch (error) {
        this.destroy(fromNative(error))
        return
      }
      if (result === undefined) {
        this.#reading = true
        return
      }
      if (result === null) {
        this.#recvEnded = true
        this.push(null)
        return
      }
      if (!this.push(result)) return
    }
  }

  _write(chunk, _encoding, callback) {
    if (this.#abandonedSend) {
      callback()
      return
    }
    let done
    try {
      // Large chunks are referenced, not copied (like a socket's pending writes).
      done = chunk.length >= ZERO_COPY_BYTES ? this.#native.writeBuffer(chunk) : this.#native.write(chunk)
    } catch (error) {
      callback(fromNative(error))
      return
    }
    if (done) callback()
    else this.#writeCallback = callback
  }

  _final(callback) {
    if (this.#abandonedSend) {
      callback()
      return
    }
    try {
      this.#native.finish()
      this.#sendFinished = true
      callback()
    } catch (error) {
      callback(fromNative(error))
    }
  }

  _destroy(error, callback) {
    // Halves that did not finish cleanly are abandoned with code 0: a send half is reset,
    // never finished, so the peer cannot take truncated data as complete.
    if (this.#native.writable && !this.#sendFinished && !this.#abandonedSend) {
      this.#abandonedSend = true
      call(() => this.#native.reset(0n))
    }
    if (this.#native.readable && !this.#recvEnded && !this.#abandonedRecv) {
      this.#abandonedRecv = true
      call(() => this.#native.stop(0n))
    }
    this.#native.close()
    this.#release()
    const pending = this.#writeCallback
    this.#writeCallback = null
    if (pending) pending(error ?? closedError('stream'))
    callback(error)
  }

  #release() {
    targets.delete(this.#native.id)
    this.connection._streams.delete(this)
  }

  _event(kind, payload) {
    if (kind === KIND.READ) {
      if (this.destroyed) {
        this.#reading = false
        return false
      }
      if (Buffer.isBuffer(payload)) {
        // The native reader goes on reporting data while this returns true; after false
        // it holds the next batch until `_read` asks again.
        if (this.#abandonedRecv) return true
        const more = this.push(payload)
        if (!more) this.#reading = false
        return more
      }
      this.#reading = false
      if (payload === null) {
        this.#recvEnded = true
        if (!this.readableEnded) this.push(null)
      } else {
        // Our own close of the connection ends its streams without an error.
        this.destroy(payload.kind === 'local' ? undefined : fromInfo(payload))
      }
    } else if (kind === KIND.WRITTEN) {
      const callback = this.#writeCallback
      this.#writeCallback = null
      if (!callback) return
      if (payload === null || this.#abandonedSend) callback()
      else if (payload.kind === 'local') {
        this.#writeCallback = callback
        this.destroy()
      } else callback(fromInfo(payload))
    }
  }

  /** RESET_STREAM with `code`: the sending half ends abruptly. */
  reset(code) {
    const value = errorCode(code)
    if (!this.#native.writable || this.#abandonedSend) return
    this.#abandonedSend = true
    call(() => this.#native.reset(value))
  }

  /** STOP_SENDING with `code`: the peer should stop; reading ends here. */
  stopSending(code) {
    const value = errorCode(code)
    if (!this.#native.readable || this.#abandonedRecv) return
    this.#abandonedRecv = true
    call(() => this.#native.stop(value))
    if (!this.#reading && !this.readableEnded) this.push(null)
  }

  toWeb() {
    return Duplex.toWeb(this)
  }
}

// ---- connections ------------------------------------------------------------------

class Connection extends EventEmitter {
  #native
  #info = null
  #backlog = new Backlog()
  #accepting = false
  #datagrams = false
  #pendingOpens = []
  #closeInfo = null
  #finalStats = null
  #resolveClosed
  #resolveOpened
  #rejectOpened
  #resolveEarly
  _streams = new Set()

  constructor(handle, endpoint, { zeroRtt = false } = {}) {
    super()
    this.#native = handle
    this.endpoint = endpoint
    targets.set(handle.id, this)
    endpoint._connections.add(this)
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve
    })
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve
      this.#rejectOpened = reject
    })
    this.opened.catch(() => {})
    this.earlyData = new Promise((resolve) => {
      this.#resolveEarly = resolve
    })
    if (!zeroRtt) {
      this.#resolveOpened()
      this.#resolveEarly(false)
    }
    this.on('newListener', (event) => {
      if (event === 'stream') process.nextTick(() => this.#flushStreams())
      if (event === 'datagram') process.nextTick(() => this.#pumpDatagrams())
    })
    this.#acceptStreams()
  }

  #infoNow() {
    if (this.#info) return this.#info
    const info = this.#native.info()
    if (info.alpn !== null || this.#closeInfo) this.#info = info
    return info
  }

  get remoteAddress() {
    // Read live while open: the peer may migrate.
    return addressInfo((this.#closeInfo ? this.#info : this.#native.info()).remoteAddress)
  }

  get alpnProtocol() {
    return this.#infoNow().alpn ?? null
  }

  get servername() {
    return this.#infoNow().serverName ?? null
  }

  get isClosed() {
    return this.#closeInfo !== null
  }

  get maxDatagramSize() {
    return this.#native.maxDatagramSize() ?? null
  }

  get incomingStreams() {
    return { [Symbol.asyncIterator]: () => this[Symbol.asyncIterator]() }
  }

  getPeerCertificates() {
    return this.#infoNow().peerCertificates
  }

  #checkOpen() {
    if (this.#closeInfo) throw this.#closeInfo.error
  }

  #acceptStreams() {
    if (this.#accepting || this.#closeInfo) return
    while (this.#backlog.size < BACKLOG_MAX) {
      const handle = this.#native.acceptStream()
      if (!handle) {
        this.#accepting = true
        return
      }
      this.#deliverStream(handle)
    }
  }

  #deliverStream(handle) {
    const stream = new QuicStream(handle, this, true)
    this._streams.add(stream)
    if (this.listenerCount('stream') > 0) this.emit('stream', stream)
    else this.#backlog.push(stream)
    if (this.#backlog.iterating > 0 && this.listenerCount('stream') > 0) this.#backlog.push(stream)
  }

  #flushStreams() {
    if (this.listenerCount('stream') === 0 || this.#backlog.iterating > 0) return
    for (const stream of this.#backlog.drain()) this.emit('stream', stream)
    this.#acceptStreams()
  }

  #pumpDatagrams() {
    if (this.#datagrams || this.#closeInfo || this.listenerCount('datagram') === 0) return
    for (;;) {
      const data = this.#native.readDatagram()
      if (!data) {
        this.#datagrams = true
        return
      }
      this.emit('datagram', data)
      if (this.listenerCount('datagram') === 0) return
    }
  }

  _event(kind, payload) {
    switch (kind) {
      case KIND.STREAM:
        this.#accepting = false
        this.#deliverStream(payload)
        this.#acceptStreams()
        break
      case KIND.DATAGRAM:
        this.#datagrams = false
        this.emit('datagram', payload)
        this.#pumpDatagrams()
        break
      case KIND.OPENED: {
        const pending = this.#pendingOpens.shift()
        if (!pending) break
        if (payload instanceof native.QuicStream) {
          const stream = new QuicStream(payload, this, false)
          this._streams.add(stream)
          pending.resolve(stream)
        } else {
          pending.reject(fromInfo(payload))
        }
        break
      }
      case KIND.EARLY_DATA:
        this.#resolveEarly(payload)
        this.#resolveOpened()
        break
      case KIND.CLOSED:
        this.#onClosed(payload)
        break
    }
  }

  #onClosed(info) {
    if (this.#closeInfo) return
    const error = fromInfo(info)
    this.#closeInfo = { kind: info.kind, errorCode: info.errorCode ?? undefined, reason: info.reason ?? '', error }
    this.#info = this.#info ?? this.#native.info()
    this.#finalStats = this.#native.stats()
    targets.delete(this.#native.id)
    this.endpoint._connections.delete(this)
    this.#rejectOpened(error)
    this.#resolveEarly(false)
    for (const pending of this.#pendingOpens.splice(0)) pending.reject(error)
    for (const stream of this._streams) {
      if (!stream.destroyed) stream.destroy(info.kind === 'local' ? undefined : error)
    }
    this.#backlog.end()
    // quinn frees the connection's state once no handle is left: don't wait for the GC.
    this.#native.release()
    this.#resolveClosed(this.#closeInfo)
    this.emit('close', this.#closeInfo)
    this.endpoint._connectionClosed(this)
  }

  #open(bidirectional) {
    this.#checkOpen()
    const handle = call(() => this.#native.openStream(bidirectional))
    if (handle) {
      const stream = new QuicStream(handle, this, false)
      this._streams.add(stream)
      return Promise.resolve(stream)
    }
    return new Promise((resolve, reject) => this.#pendingOpens.push({ resolve, reject }))
  }

  openBidirectionalStream() {
    try {
      return this.#open(true)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  openUnidirectionalStream() {
    try {
      return this.#open(false)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  sendDatagram(data) {
    if (typeof data === 'string') data = Buffer.from(data)
    if (!(data instanceof Uint8Array)) throw argError('datagram must be a Uint8Array or string')
    this.#checkOpen()
    call(() => this.#native.sendDatagram(data))
  }

  stats() {
    return this.#finalStats ?? this.#native.stats()
  }

  close(code, reason) {
    const value = errorCode(code)
    const text = reasonString(reason)
    if (!this.#closeInfo) this.#native.close(value, text)
    return this.closed.then(() => {})
  }

  destroy() {
    if (!this.#closeInfo) this.#native.close(0n, '')
  }

  ref() {
    this.endpoint.ref()
    return this
  }

  unref() {
    this.endpoint.unref()
    return this
  }

  [Symbol.asyncDispose]() {
    return this.close()
  }

  [Symbol.asyncIterator]() {
    return this.#backlog.iterator(() => this.#acceptStreams())
  }
}

// ---- endpoints --------------------------------------------------------------------

let nextToken = 1

class Endpoint extends EventEmitter {
  #native
  #backlog = new Backlog()
  #pendingConnects = new Map()
  #closing = null
  #resolveClosing
  #options
  #private
  _connections = new Set()

  constructor(handle, options, { listening, privateEndpoint }) {
    super()
    this.#native = handle
    this.#options = options
    this.#private = privateEndpoint
    this.listening = listening
    this.address = addressInfo(handle.localAddress())
    this.on('newListener', (event) => {
      if (event === 'connection') process.nextTick(() => this.#flushConnections())
    })
  }

  /** The routing callback handed to the native endpoint. */
  static _events(endpointRef) {
    // Small data arrives as a slice (start, end) of a shared slab Buffer the native side
    // fills; the slab is never written again where a slice was handed out.
    return (kind, target, payload, start, end) => {
      const endpoint = endpointRef.deref()
      if (kind === KIND.CONNECTION || kind === KIND.CONNECTED || kind === KIND.HANDSHAKE_FAILED || kind === KIND.ENDPOINT_CLOSED) {
        endpoint?._event(kind, target, payload)
      } else {
        return targets.get(target)?._event(kind, start === undefined ? payload : payload.subarray(start, end))
      }
    }
  }

  get connections() {
    return { [Symbol.asyncIterator]: () => this[Symbol.asyncIterator]() }
  }

  _event(kind, target, payload) {
    switch (kind) {
      case KIND.CONNECTION: {
        const connection = new Connection(payload, this)
        if (this.#closing) {
          connection.destroy()
          return
        }
        const listeners = this.listenerCount('connection') > 0
        if (listeners) this.emit('connection', connection)
        if (this.#backlog.iterating > 0 || !listeners) {
          if (this.#backlog.size >= BACKLOG_MAX) connection.close(0x2, 'server busy')
          else this.#backlog.push(connection)
        }
        break
      }
      case KIND.HANDSHAKE_FAILED:
        this.emit('handshakeError', fromInfo(payload))
        break
      case KIND.CONNECTED: {
        const pending = this.#pendingConnects.get(target)
        this.#pendingConnects.delete(target)
        if (payload instanceof native.QuicConnection) {
          const connection = new Connection(payload, this)
          if (!pending || pending.aborted) connection.destroy()
          else pending.resolve(connection)
        } else if (pending && !pending.aborted) {
          pending.reject(fromInfo(payload))
        }
        if (!pending || pending.aborted || !(payload instanceof native.QuicConnection)) this.#privateIdle()
        break
      }
      case KIND.ENDPOINT_CLOSED:
        this.#backlog.end()
        this.#resolveClosing?.()
        this.emit('close')
        break
    }
  }

  #flushConnections() {
    if (this.listenerCount('connection') === 0 || this.#backlog.iterating > 0) return
    for (const connection of this.#backlog.drain()) this.emit('connection', connection)
  }

  _connectionClosed() {
    this.#privateIdle()
  }

  /** A private endpoint (of `quic.connect`) closes with its only connection. */
  #privateIdle() {
    if (this.#private && this._connections.size === 0 && this.#pendingConnects.size === 0) this.close()
  }

  connect(address, options) {
    try {
      return this.#connect(address, options)
    } catch (error) {
      // A private endpoint that never got to dial closes at once.
      this.#privateIdle()
      return Promise.reject(error)
    }
  }

  #connect(address, options) {
    options = checkOptions(options, 'connect')
    const { host, port } = parseAddress(address)
    if (this.#closing) throw closedError('endpoint')
    const signal = options.signal
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw argError('signal must be an AbortSignal')
    if (options.servername !== undefined && typeof options.servername !== 'string') {
      throw optionError('servername must be a string')
    }
    const servername = options.servername ?? host
    const overrides = ['alpn', 'cert', 'key', 'ca', 'rejectUnauthorized', 'keylog', 'earlyData'].some((k) => options[k] !== undefined)
    const tls = overrides && !this.#private
      ? { ...tlsOptions({ ...this.#options, cert: undefined, key: undefined, ...options }), requestCert: undefined }
      : null
    const earlyData = options.earlyData === true
    if (signal?.aborted) throw abortError(signal)
    return new Promise((resolve, reject) => {
      const token = nextToken++
      const pending = { resolve, reject, aborted: false }
      this.#pendingConnects.set(token, pending)
      const onAbort = () => {
        pending.aborted = true
        reject(abortError(signal))
        // Nobody waits for this attempt any more: a private endpoint closes (ending it).
        this.#pendingConnects.delete(token)
        this.#privateIdle()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const cleanup = () => signal?.removeEventListener('abort', onAbort)
      pending.resolve = (c) => {
        cleanup()
        resolve(c)
      }
      pending.reject = (e) => {
        cleanup()
        reject(e)
      }
      const dial = (ip) => {
        if (pending.aborted) {
          this.#pendingConnects.delete(token)
          this.#privateIdle()
          return
        }
        let handle
        try {
          handle = call(() => this.#native.connect(token, socketAddress(ip, port), servername, tls, earlyData))
        } catch (error) {
          this.#pendingConnects.delete(token)
          pending.reject(error)
          this.#privateIdle()
          return
        }
        if (handle) {
          this.#pendingConnects.delete(token)
          pending.resolve(new Connection(handle, this, { zeroRtt: true }))
        }
      }
      if (net.isIP(host)) dial(host)
      else {
        const family = this.address.family === 'IPv6' ? 0 : 4
        dns.lookup(host, { family }, (error, ip) => {
          if (error) {
            this.#pendingConnects.delete(token)
            pending.reject(new QuicError(`cannot resolve ${host}: ${error.message}`, 'ERR_QUIC_CONNECT'))
            this.#privateIdle()
          } else {
            dial(ip)
          }
        })
      }
    })
  }

  rebind(address) {
    if (this.#closing) throw closedError('endpoint')
    if (address !== undefined && typeof address !== 'string') throw argError('rebind address must be a string')
    const target = address ?? socketAddress(this.address.address, 0)
    call(() => this.#native.rebind(target))
    this.address = addressInfo(this.#native.localAddress())
  }

  close(code, reason) {
    if (this.#closing) return this.#closing
    const value = errorCode(code)
    const text = reasonString(reason)
    this.#closing = new Promise((resolve) => {
      this.#resolveClosing = resolve
    })
    for (const pending of this.#pendingConnects.values()) {
      if (!pending.aborted) pending.reject(closedError('endpoint'))
    }
    this.#pendingConnects.clear()
    this.#native.close(value, text)
    return this.#closing
  }

  destroy() {
    if (!this.#closing) this.close()
    this.#native.destroy()
    this.#backlog.end()
    this.#resolveClosing?.()
  }

  ref() {
    this.#native.setRef(true)
    return this
  }

  unref() {
    this.#native.setRef(false)
    return this
  }

  [Symbol.asyncDispose]() {
    return this.close()
  }

  [Symbol.asyncIterator]() {
    return this.#backlog.iterator(() => {})
  }
}

function abortError(signal) {
  const error = new QuicError('the connection attempt was aborted', 'ERR_QUIC_ABORTED')
  error.name = 'AbortError'
  if (signal?.reason !== undefined) error.cause = signal.reason
  return error
}

function bind(options, { host, port, server, privateEndpoint }) {
  const address = socketAddress(host, port)
  const normalized = endpointOptions(options, address, { server, sharedSessions: privateEndpoint })
  const ref = { endpoint: null }
  const weak = { deref: () => ref.endpoint }
  const handle = call(() => native.QuicEndpoint.bind(normalized, Endpoint._events(weak)))
  ref.endpoint = new Endpoint(handle, options, { listening: server, privateEndpoint })
  if (server) handle.startAccepting(HANDSHAKES_MAX)
  return ref.endpoint
}

function localHost(options) {
  if (options.host === undefined) return '0.0.0.0'
  if (typeof options.host !== 'string' || net.isIP(options.host) === 0) throw optionError('host must be an IP address')
  return options.host
}

function listen(options) {
  try {
    if (options === null || typeof options !== 'object') throw argError('listen options must be an object')
    const port = int(options, 'port', 0, 65535) ?? 0
    return Promise.resolve(bind(options, { host: localHost(options), port, server: true, privateEndpoint: false }))
  } catch (error) {
    return Promise.reject(error)
  }
}

function createEndpoint(options) {
  try {
    options = checkOptions(options, 'endpoint')
    const port = int(options, 'port', 0, 65535) ?? 0
    const server = options.cert !== undefined || options.key !== undefined
    return Promise.resolve(bind(options, { host: localHost(options), port, server, privateEndpoint: false }))
  } catch (error) {
    return Promise.reject(error)
  }
}

function connect(address, options) {
  try {
    options = checkOptions(options, 'connect')
    if (options.endpoint !== undefined) {
      if (!(options.endpoint instanceof Endpoint)) throw argError('endpoint must be a quic Endpoint')
      return options.endpoint.connect(address, options)
    }
    const { host } = parseAddress(address)
    let local = options.localAddress
    if (local === undefined) local = net.isIPv6(host) ? '[::]:0' : '0.0.0.0:0'
    if (typeof local !== 'string') throw optionError('localAddress must be a string')
    const { host: localIp, port: localPort } = parseLocal(local)
    const endpoint = bind(options, { host: localIp, port: localPort, server: false, privateEndpoint: true })
    return endpoint.connect(address, options)
  } catch (error) {
    return Promise.reject(error)
  }
}

function parseLocal(text) {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text)
  if (!match || net.isIP(match[1]) === 0 || Number(match[2]) > 65535) {
    throw optionError(`localAddress must be 'ip:port', not '${text}'`)
  }
  return { host: match[1], port: Number(match[2]) }
}

function generateCertificate(names = ['localhost', '127.0.0.1', '::1']) {
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n.length === 0)) {
    throw argError('names must be a non-empty array of strings')
  }
  const pair = call(() => native.quicGenerateCertificate(names))
  return { ca: pair.ca, caKey: pair.caKey, cert: pair.cert, key: pair.key }
}

module.exports = {
  listen,
  connect,
  createEndpoint,
  generateCertificate,
  QuicError,
  QuicStream,
  Connection,
  Endpoint,
}
