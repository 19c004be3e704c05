// A @matrixai/quic (Cloudflare quiche through napi) echo server and test client: a
// second independent peer of the ghostkit QUIC tests. Same arguments and JSON lines as
// aioquic_peer.py, except that @matrixai/quic has no datagram API (no --datagram).
//
//   node matrixai_peer.mjs <mode> --entry <@matrixai/quic dist/index.js> [options]
//   (--entry comes from scripts/peers/matrixai-quic.js: the package lives in the peers
//   cache, outside the project's node_modules)
//
//   server  --cert LEAF.pem --key KEY.pem --alpn A [--host 127.0.0.1] [--port 0]
//       Echoes every bidirectional stream back on itself and every unidirectional stream
//       back on a new unidirectional stream. Prints {"event":"listening","host","port"},
//       per ended stream {"event":"stream","kind":"bidi"|"uni","bytes":N,"sha256":hex}.
//       Exits when its stdin closes.
//
//   client  --port N --ca CA.pem --alpn A [--host 127.0.0.1] [--servername localhost]
//           [--bidi FILE]... [--uni FILE]... [--close-code N] [--close-reason TEXT]
//           [--timeout SECONDS]
//       One bidirectional stream per --bidi file (send, end, read the echo to its end);
//       one unidirectional stream per --uni file, collecting the server's unidirectional
//       streams until as many have ended. Prints {"event":"result","alpn":...,"bidi":
//       [{"sent":D,"received":D}],"uni":{"sent":[D],"received":[D]}} with
//       D = {"bytes":N,"sha256":hex}; on failure {"event":"error","message":...}, exit 1.
//       Known limit of @matrixai/quic 2.0.9: with two non-empty --uni files at once its
//       client stalls until the idle timeout (against Deno and aioquic servers as well), so
//       give it at most one non-empty --uni file.
import { createHash, createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'
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
const digest = (data) => ({ bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') })

async function readAll(readable) {
  const chunks = []
  for await (const chunk of readable) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

async function writeAll(writable, data) {
  const writer = writable.getWriter()
  for (let offset = 0; offset < data.length; offset += 65536) {
    await writer.write(data.subarray(offset, Math.min(offset + 65536, data.length)))
  }
  await writer.close()
}

async function pipeCounting(readable, writable) {
  const writer = writable.getWriter()
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of readable) {
    hash.update(chunk)
    bytes += chunk.length
    await writer.write(chunk)
  }
  await writer.close()
  return { bytes, sha256: hash.digest('hex') }
}

const clientCrypto = { ops: { randomBytes: async (data) => { randomFillSync(new Uint8Array(data)) } } }

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
        const expected = Buffer.from(await sign(k, data))
        const given = Buffer.from(sig)
        return expected.length === given.length && timingSafeEqual(expected, given)
      },
    },
  }
}

function isUni(stream) {
  return (Number(stream.streamId) & 2) !== 0
}

async function server(quic, args) {
  const { QUICServer, events } = quic
  const server = new QUICServer({
    logger: quic.logger,
    crypto: serverCrypto(),
    config: {
      cert: readFileSync(args.one('cert'), 'utf8'),
      key: readFileSync(args.one('key'), 'utf8'),
      applicationProtos: args.all('alpn'),
      verifyPeer: false,
      maxIdleTimeout: 30000,
    },
  })
  server.addEventListener(events.EventQUICServerConnection.name, (evt) => {
    const conn = evt.detail
    conn.addEventListener(events.EventQUICConnectionStream.name, (sevt) => {
      const stream = sevt.detail
      const task = isUni(stream)
        ? pipeCounting(stream.readable, conn.newStream('uni').writable).then((d) => emit({ event: 'stream', kind: 'uni', ...d }))
        : pipeCounting(stream.readable, stream.writable).then((d) => emit({ event: 'stream', kind: 'bidi', ...d }))
      task.catch((error) => emit({ event: 'stream_error', message: String(error) }))
    })
    // Errors close the connection; they are reported, never thrown.
    conn.addEventListener(events.EventQUICConnectionError.name, (e) => emit({ event: 'connection_error', message: String(e.detail) }))
  })
  await server.start({ host: args.one('host', '127.0.0.1'), port: Number(args.one('port', '0')) })
  emit({ event: 'listening', host: server.host, port: server.port })
  process.stdin.resume()
  process.stdin.on('end', async () => {
    await server.stop({ force: true })
    process.exit(0)
  })
}

async function client(quic, args) {
  const { QUICClient, events } = quic
  const bidi = args.all('bidi').map((f) => readFileSync(f))
  const uni = args.all('uni').map((f) => readFileSync(f))
  const ca = args.all('ca').map((f) => readFileSync(f, 'utf8'))
  const client = await QUICClient.createQUICClient({
    host: args.one('host', '127.0.0.1'),
    port: Number(args.one('port')),
    serverName: args.one('servername', 'localhost'),
    logger: quic.logger,
    crypto: clientCrypto,
    config: { ca, verifyPeer: true, applicationProtos: args.all('alpn'), maxIdleTimeout: 30000 },
  })
  const conn = client.connection
  const uniReceived = []
  let uniResolve
  const uniDone = new Promise((resolve) => { uniResolve = resolve })
  if (uni.length === 0) uniResolve()
  conn.addEventListener(events.EventQUICConnectionStream.name, (evt) => {
    const stream = evt.detail
    readAll(stream.readable).then((data) => {
      uniReceived.push(digest(data))
      if (uniReceived.length >= uni.length) uniResolve()
    })
  })
  const uniSent = Promise.all(uni.map((data) => writeAll(conn.newStream('uni').writable, data)))
  const bidiResults = await Promise.all(bidi.map(async (data) => {
    const stream = conn.newStream('bidi')
    const [, received] = await Promise.all([writeAll(stream.writable, data), readAll(stream.readable)])
    return { sent: digest(data), received: digest(received) }
  }))
  await uniSent
  await uniDone
  const result = {
    event: 'result',
    alpn: args.all('alpn').length ? args.all('alpn')[0] : null,
    bidi: bidiResults,
    uni: { sent: uni.map(digest), received: uniReceived },
  }
  await client.destroy({ isApp: true, errorCode: Number(args.one('close-code', '0')), reason: Buffer.from(args.one('close-reason', '')) })
  emit(result)
}

const args = parseArgs(process.argv.slice(2))
try {
  const entry = args.one('entry')
  if (!entry) throw new Error('--entry <path of @matrixai/quic dist/index.js> is required')
  const quic = { ...(await import(pathToFileURL(entry).href)) }
  // Its own logger prints every stream at INFO on stderr: keep warnings and errors only.
  const { default: Logger, LogLevel } = await import(pathToFileURL(join(dirname(entry), '..', '..', 'logger', 'dist', 'index.js')).href)
  quic.logger = new Logger('matrixai-peer', LogLevel.WARN)
  if (args.mode === 'server') await server(quic, args)
  else if (args.mode === 'client') {
    const timeout = Number(args.one('timeout', '60')) * 1000
    const timer = setTimeout(() => {
      emit({ event: 'error', message: `timed out after ${timeout} ms` })
      process.exit(1)
    }, timeout)
    await client(quic, args)
    clearTimeout(timer)
    process.exit(0)
  } else throw new Error('mode must be server or client')
} catch (error) {
  emit({ event: 'error', message: String(error?.stack ?? error) })
  process.exit(1)
}
