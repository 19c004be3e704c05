// Bench driver for @matrixai/quic (quiche through napi): server and client of the bench
// protocol in __test__/quic/peers/BENCH-PROTOCOL.md (bulk `B`, request/response `E`, handshakes).
//
//   node __test__/quic/peers/matrixai_bench.mjs server --entry ENTRY --cert LEAF.pem --key KEY.pem
//        --alpn A [--host 127.0.0.1] [--port 0] [--max-udp-payload BYTES]
//     prints {"event":"listening","host","port"}; on stdin EOF prints
//     {"event":"cpu","user":s,"system":s} and exits.
//
//   node __test__/quic/peers/matrixai_bench.mjs client --entry ENTRY --port N --ca CA.pem --alpn A
//        [--host 127.0.0.1] [--servername localhost]
//        [--bulk BYTES] [--rtt COUNT] [--handshakes COUNT] [--max-udp-payload BYTES]
//     prints {"event":"result","bulk":{"bytes","seconds"}|null,"rtt":{"count","seconds"}|null,
//     "handshakes":{"count","seconds"}|null,"cpu":{"user","system"}}.
//
// ENTRY is `matrixaiQuic().entry` from scripts/peers/matrixai-quic.js (the package lives in
// the peers cache, not in node_modules). Flow-control windows are raised to 16 MiB per
// stream / 32 MiB per connection on both sides so the window is not what is measured, and
// its readable pulls 64 KiB per read instead of 4 KiB. Even so it moves about 0.2–1 MiB/s
// server-side on this 2-core machine (its JS event/abort-signal machinery per packet, seen
// with --cpu-prof), so bench it with tens of MiB, not 512 MiB.
// --max-udp-payload sets quiche's largest UDP payload it sends (default 1200; loopback
// carries up to 65527), for a like-for-like run against a stack that uses large packets.
import { createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

function parseArgs(argv) {
  const out = {}
  const mode = argv[0]
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`)
    ;(out[argv[i].slice(2)] ??= []).push(argv[i + 1])
  }
  return { mode, all: (name) => out[name] ?? [], one: (name, fallback) => out[name]?.at(-1) ?? fallback }
}

const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`)
const cpu = () => {
  const { user, system } = process.cpuUsage()
  return { user: user / 1e6, system: system / 1e6 }
}

const WINDOWS = {
  initialMaxData: 32 << 20,
  initialMaxStreamDataBidiLocal: 16 << 20,
  initialMaxStreamDataBidiRemote: 16 << 20,
  initialMaxStreamDataUni: 16 << 20,
  maxConnectionWindow: 32 << 20,
  maxStreamWindow: 16 << 20,
  maxIdleTimeout: 30000,
  // Its readable pulls this much from quiche per read (default 4 KiB, a JS round per 4 KiB).
  readableChunkSize: 64 << 10,
}

function udpPayload(args) {
  const size = args.one('max-udp-payload')
  return size ? { maxSendUdpPayloadSize: Number(size) } : {}
}

/** Reads from a web stream reader until `n` bytes have arrived; returns them (or fewer at end). */
async function readExactly(reader, n, pending) {
  while (pending.length < n) {
    const { value, done } = await reader.read()
    if (done) break
    pending.push(value)
  }
  return pending.take(n)
}

class Pending {
  constructor() { this.chunks = []; this.length = 0 }
  push(chunk) { this.chunks.push(Buffer.from(chunk)); this.length += chunk.length }
  take(n) {
    const all = Buffer.concat(this.chunks)
    const out = all.subarray(0, Math.min(n, all.length))
    const rest = all.subarray(out.length)
    this.chunks = rest.length ? [rest] : []
    this.length = rest.length
    return out
  }
}

function serverCrypto() {
  const key = randomBytes(32)
  const sign = async (k, data) => {
    const mac = createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest()
    return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.length)
  }
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + key.length),
    ops: {
      sign,
      verify: async (k, data, sig) => {
        const a = Buffer.from(await sign(k, data))
        const b = Buffer.from(sig)
        return a.length === b.length && timingSafeEqual(a, b)
      },
    },
  }
}

async function serveStream(stream) {
  const reader = stream.readable.getReader()
  const writer = stream.writable.getWriter()
  const pending = new Pending()
  const [mode] = await readExactly(reader, 1, pending)
  if (mode === 0x42) { // 'B'
    let count = pending.take(Infinity).length
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      count += value.length
    }
    const ack = Buffer.alloc(8)
    ack.writeBigUInt64BE(BigInt(count))
    await writer.write(ack)
    await writer.close()
  } else if (mode === 0x45) { // 'E'
    const rest = pending.take(Infinity)
    if (rest.length) await writer.write(rest)
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      await writer.write(value)
    }
    await writer.close()
  } else {
    await writer.abort(new Error('unknown bench mode'))
  }
}

async function server(quic, args) {
  const server = new quic.QUICServer({
    logger: quic.logger,
    crypto: serverCrypto(),
    config: {
      cert: readFileSync(args.one('cert'), 'utf8'),
      key: readFileSync(args.one('key'), 'utf8'),
      applicationProtos: args.all('alpn'),
      verifyPeer: false,
      ...WINDOWS,
      ...udpPayload(args),
    },
  })
  server.addEventListener(quic.events.EventQUICServerConnection.name, (evt) => {
    const conn = evt.detail
    conn.addEventListener(quic.events.EventQUICConnectionStream.name, (sevt) => {
      serveStream(sevt.detail).catch(() => {})
    })
    conn.addEventListener(quic.events.EventQUICConnectionError.name, () => {})
  })
  await server.start({ host: args.one('host', '127.0.0.1'), port: Number(args.one('port', '0')) })
  emit({ event: 'listening', host: server.host, port: server.port })
  process.stdin.resume()
  process.stdin.on('end', async () => {
    emit({ event: 'cpu', ...cpu() })
    await server.stop({ force: true })
    process.exit(0)
  })
}

const clientCrypto = { ops: { randomBytes: async (data) => { randomFillSync(new Uint8Array(data)) } } }

async function connect(quic, args, ca) {
  return quic.QUICClient.createQUICClient({
    host: args.one('host', '127.0.0.1'),
    port: Number(args.one('port')),
    serverName: args.one('servername', 'localhost'),
    logger: quic.logger,
    crypto: clientCrypto,
    config: { ca, verifyPeer: true, applicationProtos: args.all('alpn'), ...WINDOWS, ...udpPayload(args) },
  })
}

async function bulk(conn, bytes) {
  const stream = conn.newStream('bidi')
  const writer = stream.writable.getWriter()
  const reader = stream.readable.getReader()
  const chunk = randomBytes(256 * 1024)
  const started = process.hrtime.bigint()
  await writer.write(Buffer.from('B'))
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    await writer.write(bytes - sent >= chunk.length ? chunk : chunk.subarray(0, bytes - sent))
  }
  await writer.close()
  const ack = await readExactly(reader, 8, new Pending())
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (ack.length !== 8 || ack.readBigUInt64BE() !== BigInt(bytes)) throw new Error(`bulk: server counted ${ack.length === 8 ? ack.readBigUInt64BE() : 'nothing'}, sent ${bytes}`)
  return { bytes, seconds }
}

async function roundTrips(conn, count, size) {
  const stream = conn.newStream('bidi')
  const writer = stream.writable.getWriter()
  const reader = stream.readable.getReader()
  const pending = new Pending()
  const request = randomBytes(size)
  await writer.write(Buffer.from('E'))
  const started = process.hrtime.bigint()
  for (let i = 0; i < count; i++) {
    await writer.write(request)
    const response = await readExactly(reader, size, pending)
    if (response.length !== size) throw new Error(`round trip ${i}: ${response.length} of ${size} bytes came back`)
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  await writer.close()
  return { count, seconds }
}

async function client(quic, args) {
  const ca = args.all('ca').map((f) => readFileSync(f, 'utf8'))
  const result = { event: 'result', bulk: null, rtt: null, handshakes: null }
  const bulkBytes = Number(args.one('bulk', '0'))
  const rttCount = Number(args.one('rtt', '0'))
  const handshakeCount = Number(args.one('handshakes', '0'))
  if (bulkBytes > 0 || rttCount > 0) {
    const client = await connect(quic, args, ca)
    if (bulkBytes > 0) result.bulk = await bulk(client.connection, bulkBytes)
    if (rttCount > 0) result.rtt = await roundTrips(client.connection, rttCount, 1024)
    await client.destroy({ isApp: true, errorCode: 0 })
  }
  if (handshakeCount > 0) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < handshakeCount; i++) {
      const client = await connect(quic, args, ca)
      await roundTrips(client.connection, 1, 1)
      await client.destroy({ isApp: true, errorCode: 0 })
    }
    result.handshakes = { count: handshakeCount, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
  }
  emit({ ...result, cpu: cpu() })
}

const args = parseArgs(process.argv.slice(2))
try {
  const entry = args.one('entry')
  if (!entry) throw new Error('--entry <path of @matrixai/quic dist/index.js> is required')
  const quic = { ...(await import(pathToFileURL(entry).href)) }
  const { default: Logger, LogLevel } = await import(pathToFileURL(join(dirname(entry), '..', '..', 'logger', 'dist', 'index.js')).href)
  quic.logger = new Logger('matrixai-bench', LogLevel.WARN)
  if (args.mode === 'server') await server(quic, args)
  else if (args.mode === 'client') {
    await client(quic, args)
    process.exit(0)
  } else throw new Error('mode must be server or client')
} catch (error) {
  emit({ event: 'error', message: String(error?.stack ?? error) })
  process.exit(1)
}
