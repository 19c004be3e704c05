// ghostkit/quic: the API against itself — streams, half-close, back-pressure, errors, close codes.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import { Readable, Writable } from 'node:stream'
import { test } from 'node:test'
import { dial, echoServer, pki, quic, readAll, withTimeout } from './_helpers.mjs'

test('bidi echo, ALPN, addresses, peer certificate, async iterators', async () => {
  const server = await echoServer()
  const conn = await dial(server)
  assert.equal(conn.alpnProtocol, 'test')
  assert.equal(conn.remoteAddress.port, server.address.port)
  assert.equal(conn.remoteAddress.family, 'IPv4')
  const chain = conn.getPeerCertificates()
  assert.ok(chain.length >= 1 && Buffer.isBuffer(chain[0]))
  const s = await conn.openBidirectionalStream()
  assert.equal(s.direction, 'bidi')
  assert.equal(typeof s.id, 'bigint')
  s.end('hello quic')
  assert.equal((await readAll(s)).toString(), 'hello quic')
  await conn.close()
  await server.close()
})

test('server side: connections and streams as async iterators; SNI seen', async () => {
  const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'] })
  const served = (async () => {
    for await (const conn of server) {
      assert.equal(conn.servername, 'localhost')
      for await (const stream of conn.incomingStreams) {
        const body = await readAll(stream)
        stream.end(Buffer.concat([Buffer.from('got:'), body]))
        return
      }
    }
  })()
  const conn = await dial(server)
  const s = await conn.openBidirectionalStream()
  s.end('x')
  assert.equal((await readAll(s)).toString(), 'got:x')
  await served
  await conn.close()
  await server.close()
})

test('16 MiB through pipeline() round-trips intact (back-pressure both ways)', async () => {
  const server = await echoServer()
  const conn = await dial(server)
  const s = await conn.openBidirectionalStream()
  const payload = randomBytes(16 << 20)
  const chunks = []
  for (let i = 0; i < payload.length; i += 65536) chunks.push(payload.subarray(i, i + 65536))
  const received = []
  await Promise.all([
    pipeline(Readable.from(chunks), s),
    pipeline(
      s,
      new Writable({
        highWaterMark: 1024,
        write(chunk, _e, cb) {
          received.push(chunk)
          setImmediate(cb)
        },
      }),
    ),
  ])
  assert.ok(Buffer.concat(received).equals(payload))
  await conn.close()
  await server.close()
})

test('half-close: the server still writes after the client ended', async () => {
  const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'] })
  server.on('connection', (conn) =>
    conn.on('stream', async (stream) => {
      await readAll(stream)
      setTimeout(() => stream.end('late reply'), 50)
    }),
  )
  const conn = await dial(server)
  const s = await conn.openBidirectionalStream()
  s.end('request')
  assert.equal((await readAll(s)).toString(), 'late reply')
  await conn.close()
  await server.close()
})

test('unidirectional streams in both directions', async () => {
  const server = await echoServer()
  const conn = await dial(server)
  const replies = []
  conn.on('stream', (s) => replies.push(readAll(s)))
  const out = await conn.openUnidirectionalStream()
  assert.equal(out.direction, 'uni')
  assert.equal(out.readable, false)
  out.end('one way')
  await withTimeout(
    (async () => {
      while (replies.length === 0) await new Promise((r) => setTimeout(r, 5))
    })(),
    5000,
    'uni reply',
  )
  assert.equal((await replies[0]).toString(), 'one way')
  await conn.close()
  await server.close()
})

test('datagrams echo and maxDatagramSize is reported', async () => {
  const server = await echoServer()
  const conn = await dial(server)
  assert.ok(conn.maxDatagramSize >= 1000)
  const got = new Promise((resolve) => conn.once('datagram', resolve))
  // Datagrams are unreliable: resend until one comes back.
  const timer = setInterval(() => conn.sendDatagram('ping'), 20)
  try {
    assert.equal((await withTimeout(got, 5000, 'datagram')).toString(), 'ping')
  } finally {
    clearInterval(timer)
  }
  assert.throws(() => conn.sendDatagram(Buffer.alloc(conn.maxDatagramSize + 1)), { code: 'ERR_QUIC_DATAGRAM' })
  await conn.close()
  await server.close()
})

test('close(code, reason) reaches the peer as ERR_QUIC_APPLICATION_CLOSED with the code', async () => {
  const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'] })
  const serverConn = new Promise((resolve) => server.once('connection', resolve))
  const conn = await dial(server)
  const peer = await serverConn
  await conn.close(42, 'done here')
  const info = await withTimeout(peer.closed, 5000, 'peer close')
  assert.equal(info.kind, 'application')
  assert.equal(info.errorCode, 42)
  assert.equal(info.reason, 'done here')
  assert.equal(info.error.code, 'ERR_QUIC_APPLICATION_CLOSED')
  assert.equal(conn.isClosed, true)
  await server.close()
})

test('reset(code) and stopSending(code) surface the codes on the other side', async () => {
  const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'] })
  const streams = []
  server.on('connection', (c) =>
    c.on('stream', (s) => {
      s.on('error', () => {})
      streams.push(s)
    }),
  )
  const conn = await dial(server)
  const a = await conn.openBidirectionalStream()
  a.write('x')
  while (streams.length < 1) await new Promise((r) => setTimeout(r, 5))
  const readError = new Promise((resolve) => streams[0].once('error', resolve))
  streams[0].resume()
  a.reset(7)
  const e1 = await withTimeout(readError, 5000, 'reset error')
  assert.equal(e1.code, 'ERR_QUIC_STREAM_RESET')
  assert.equal(e1.errorCode, 7)

  const b = await conn.openBidirectionalStream()
  b.write('y')
  while (streams.length < 2) await new Promise((r) => setTimeout(r, 5))
  streams[1].stopSending(9)
  const writeError = new Promise((resolve) => b.once('error', resolve))
  const big = Buffer.alloc(1 << 20)
  const writer = setInterval(() => b.write(big), 10)
  try {
    const e2 = await withTimeout(writeError, 5000, 'stop error')
    assert.equal(e2.code, 'ERR_QUIC_STREAM_STOPPED')
    assert.equal(e2.errorCode, 9)
  } finally {
    clearInterval(writer)
  }
  await conn.close()
  await server.close()
})

test('web stream views', async () => {
  const server = await echoServer()
  const conn = await dial(server)
  const s = await conn.openBidirectionalStream()
  const { readable, writable } = s.toWeb()
  const writer = writable.getWriter()
  await writer.write(new TextEncoder().encode('web'))
  await writer.close()
  let text = ''
  for await (const c of readable) text += Buffer.from(c).toString()
  assert.equal(text, 'web')
  await conn.close()
  await server.close()
})

test('invalid arguments and options throw typed errors', async () => {
  await assert.rejects(quic.listen({ host: '127.0.0.1' }), { code: 'ERR_QUIC_INVALID_OPTION' })
  await assert.rejects(quic.listen({ cert: pki.cert, key: 'not pem' }), { code: 'ERR_QUIC_INVALID_OPTION' })
  await assert.rejects(quic.listen({ cert: pki.cert, key: pki.key, idleTimeout: -1 }), { code: 'ERR_QUIC_INVALID_OPTION' })
  await assert.rejects(quic.listen({ cert: pki.cert, key: pki.key, congestionControl: 'vegas' }), { code: 'ERR_QUIC_INVALID_OPTION' })
  await assert.rejects(quic.listen({ cert: pki.cert, key: pki.key, alpn: 'h3' }), { code: 'ERR_QUIC_INVALID_OPTION' })
  await assert.rejects(quic.listen(null), { code: 'ERR_QUIC_INVALID_ARG' })
  await assert.rejects(quic.connect('nonsense'), { code: 'ERR_QUIC_INVALID_ARG' })
  await assert.rejects(quic.connect('127.0.0.1:0'), { code: 'ERR_QUIC_INVALID_ARG' })
  await assert.rejects(quic.connect('127.0.0.1:1', { signal: 'x' }), { code: 'ERR_QUIC_INVALID_ARG' })
  assert.throws(() => quic.generateCertificate([]), { code: 'ERR_QUIC_INVALID_ARG' })
})

test('wrong CA fails the handshake with a TLS transport error; rejectUnauthorized:false connects', async () => {
  const server = await echoServer()
  const other = quic.generateCertificate()
  const error = await dial(server, { ca: other.ca }).then(
    () => null,
    (e) => e,
  )
  assert.ok(error, 'the handshake must fail')
  assert.equal(error.code, 'ERR_QUIC_TRANSPORT_ERROR')
  assert.ok(error.errorCode >= 0x100 && error.errorCode < 0x200, `TLS alert code, got ${error.errorCode}`)
  const conn = await dial(server, { ca: undefined, rejectUnauthorized: false })
  assert.equal(conn.alpnProtocol, 'test')
  await conn.close()
  await server.close()
})

test('use after close gives ERR_QUIC_CLOSED', async () => {
  const server = await echoServer()
  const conn = await dial(server)
  const s = await conn.openBidirectionalStream()
  await conn.close()
  await assert.rejects(conn.openBidirectionalStream(), { code: 'ERR_QUIC_CLOSED' })
  assert.throws(() => conn.sendDatagram('x'), { code: 'ERR_QUIC_CLOSED' })
  assert.equal(s.destroyed, true)
  await server.close()
  await assert.rejects(server.connect(`127.0.0.1:${server.address.port}`), { code: 'ERR_QUIC_CLOSED' })
  assert.throws(() => server.rebind(), { code: 'ERR_QUIC_CLOSED' })
})

test('AbortSignal aborts connect with ERR_QUIC_ABORTED', async () => {
  // Nobody answers on this port: the attempt would wait for the idle timeout.
  const silent = await quic.createEndpoint({ host: '127.0.0.1' })
  const controller = new AbortController()
  const attempt = quic.connect(`127.0.0.1:${silent.address.port}`, { alpn: ['test'], ca: pki.ca, signal: controller.signal })
  setTimeout(() => controller.abort(), 50)
  await assert.rejects(attempt, { code: 'ERR_QUIC_ABORTED', name: 'AbortError' })
  await assert.rejects(quic.connect('127.0.0.1:9', { signal: AbortSignal.abort() }), { code: 'ERR_QUIC_ABORTED' })
  await silent.close()
})

test('one endpoint serves and dials; Symbol.asyncDispose closes; stats are BigInt', async () => {
  const a = await echoServer()
  const b = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'] })
  const conn = await b.connect(`127.0.0.1:${a.address.port}`, { alpn: ['test'], ca: pki.ca })
  const s = await conn.openBidirectionalStream()
  s.end('from a server endpoint')
  assert.equal((await readAll(s)).toString(), 'from a server endpoint')
  const stats = conn.stats()
  assert.equal(typeof stats.bytesSent, 'bigint')
  assert.ok(stats.bytesSent > 0n && stats.bytesReceived > 0n)
  assert.ok(stats.rtt >= 0)
  await conn[Symbol.asyncDispose]()
  assert.equal(conn.isClosed, true)
  await b[Symbol.asyncDispose]()
  await a.close()
})

test('congestion controllers and transport options are accepted and work', async () => {
  for (const congestionControl of ['cubic', 'newreno', 'bbr']) {
    const server = await echoServer({ congestionControl, idleTimeout: 5000, keepAlive: 1000, maxBidiStreams: 4 })
    const conn = await dial(server, { congestionControl, mtuDiscovery: false, maxUdpPayload: 1500 })
    const s = await conn.openBidirectionalStream()
    const data = randomBytes(1 << 20)
    s.end(data)
    assert.ok((await readAll(s)).equals(data), congestionControl)
    await conn.close()
    await server.close()
  }
})

test('a stream limit makes openBidirectionalStream wait, not fail', async () => {
  const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'], maxBidiStreams: 1 })
  server.on('connection', (c) => c.on('stream', (s) => readAll(s).then(() => s.end('ok'))))
  const conn = await dial(server)
  const first = await conn.openBidirectionalStream()
  let secondOpened = false
  const second = conn.openBidirectionalStream().then((s) => {
    secondOpened = true
    return s
  })
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(secondOpened, false)
  first.end('a')
  await readAll(first)
  const s2 = await withTimeout(second, 5000, 'second stream')
  s2.end('b')
  assert.equal((await readAll(s2)).toString(), 'ok')
  await conn.close()
  await server.close()
})
