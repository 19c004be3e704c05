// Bench driver for Deno's QUIC (quinn inside Deno): server and client of the bench protocol
// in __test__/quic/peers/BENCH-PROTOCOL.md (bulk `B`, request/response `E`, handshakes).
//
//   deno run --unstable-net --allow-net --allow-read __test__/quic/peers/deno_bench.ts server
//        --cert LEAF.pem --key KEY.pem --alpn A [--host 127.0.0.1] [--port 0]
//     prints {"event":"listening","host","port"}; on stdin EOF prints
//     {"event":"cpu","user":s,"system":s} and exits.
//
//   deno run --unstable-net --allow-net --allow-read __test__/quic/peers/deno_bench.ts client
//        --port N --ca CA.pem --alpn A [--host 127.0.0.1] [--servername localhost]
//        [--bulk BYTES] [--rtt COUNT] [--handshakes COUNT]
//     prints {"event":"result","bulk":{"bytes","seconds"}|null,"rtt":{"count","seconds"}|null,
//     "handshakes":{"count","seconds"}|null,"cpu":{"user","system"}}.
//
// The deno binary is `deno().binary` from scripts/peers/deno.js. Both sides ask for the
// "throughput" congestion controller. CPU-seconds come from Deno's built-in node:process.

import process from 'node:process'

function parseArgs(argv: string[]) {
  const out: Record<string, string[]> = {}
  const mode = argv[0]
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`)
    ;(out[argv[i].slice(2)] ??= []).push(argv[i + 1])
  }
  return { mode, all: (name: string) => out[name] ?? [], one: (name: string, fallback?: string) => out[name]?.at(-1) ?? fallback }
}
type Args = ReturnType<typeof parseArgs>

const emit = (obj: unknown) => console.log(JSON.stringify(obj))

/** Process CPU-seconds (user, system), every thread of the runtime included. */
function cpu(): { user: number; system: number } {
  const { user, system } = process.cpuUsage() // microseconds
  return { user: user / 1e6, system: system / 1e6 }
}

class Pending {
  chunks: Uint8Array[] = []
  length = 0
  push(c: Uint8Array) {
    this.chunks.push(c)
    this.length += c.length
  }
  take(n: number): Uint8Array {
    const want = Math.min(n, this.length)
    const out = new Uint8Array(want)
    let filled = 0
    while (filled < want) {
      const head = this.chunks[0]
      const part = Math.min(head.length, want - filled)
      out.set(head.subarray(0, part), filled)
      filled += part
      if (part === head.length) this.chunks.shift()
      else this.chunks[0] = head.subarray(part)
    }
    this.length -= want
    return out
  }
}

async function readExactly(reader: ReadableStreamDefaultReader<Uint8Array>, n: number, pending: Pending) {
  while (pending.length < n) {
    const { value, done } = await reader.read()
    if (done) break
    pending.push(value)
  }
  return pending.take(n)
}

async function serveStream(stream: Deno.QuicBidirectionalStream) {
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
    const ack = new Uint8Array(8)
    new DataView(ack.buffer).setBigUint64(0, BigInt(count))
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

async function serveConnection(conn: Deno.QuicConn) {
  for await (const stream of conn.incomingBidirectionalStreams) serveStream(stream).catch(() => {})
}

async function server(args: Args) {
  const endpoint = new Deno.QuicEndpoint({ hostname: args.one('host', '127.0.0.1'), port: Number(args.one('port', '0')) })
  const listener = endpoint.listen({
    cert: Deno.readTextFileSync(args.one('cert')!),
    key: Deno.readTextFileSync(args.one('key')!),
    alpnProtocols: args.all('alpn'),
    congestionControl: 'throughput',
  })
  emit({ event: 'listening', host: endpoint.addr.hostname, port: endpoint.addr.port })
  ;(async () => {
    for await (const _ of Deno.stdin.readable) { /* discard */ }
    emit({ event: 'cpu', ...cpu() })
    Deno.exit(0)
  })()
  for await (const incoming of listener) Promise.resolve(incoming.accept()).then(serveConnection).catch(() => {})
}

function connect(args: Args, caCerts: string[]) {
  return Deno.connectQuic({
    hostname: args.one('host', '127.0.0.1')!,
    port: Number(args.one('port')),
    serverName: args.one('servername', 'localhost'),
    alpnProtocols: args.all('alpn'),
    caCerts,
    congestionControl: 'throughput',
  })
}

async function bulk(conn: Deno.QuicConn, bytes: number) {
  const stream = await conn.createBidirectionalStream()
  const writer = stream.writable.getWriter()
  const reader = stream.readable.getReader()
  const chunk = crypto.getRandomValues(new Uint8Array(65536))
  const big = new Uint8Array(256 * 1024)
  for (let i = 0; i < big.length; i += chunk.length) big.set(chunk, i)
  const started = performance.now()
  await writer.write(new Uint8Array([0x42]))
  for (let sent = 0; sent < bytes; sent += big.length) {
    await writer.write(bytes - sent >= big.length ? big : big.subarray(0, bytes - sent))
  }
  await writer.close()
  const ack = await readExactly(reader, 8, new Pending())
  const seconds = (performance.now() - started) / 1000
  const counted = ack.length === 8 ? new DataView(ack.buffer).getBigUint64(0) : -1n
  if (counted !== BigInt(bytes)) throw new Error(`bulk: server counted ${counted}, sent ${bytes}`)
  return { bytes, seconds }
}

async function roundTrips(conn: Deno.QuicConn, count: number, size: number) {
  const stream = await conn.createBidirectionalStream()
  const writer = stream.writable.getWriter()
  const reader = stream.readable.getReader()
  const pending = new Pending()
  const request = crypto.getRandomValues(new Uint8Array(size))
  await writer.write(new Uint8Array([0x45]))
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    await writer.write(request)
    const response = await readExactly(reader, size, pending)
    if (response.length !== size) throw new Error(`round trip ${i}: ${response.length} of ${size} bytes came back`)
  }
  const seconds = (performance.now() - started) / 1000
  await writer.close()
  return { count, seconds }
}

async function client(args: Args) {
  const caCerts = args.all('ca').map((f) => Deno.readTextFileSync(f))
  const result: Record<string, unknown> = { event: 'result', bulk: null, rtt: null, handshakes: null }
  const bulkBytes = Number(args.one('bulk', '0'))
  const rttCount = Number(args.one('rtt', '0'))
  const handshakeCount = Number(args.one('handshakes', '0'))
  if (bulkBytes > 0 || rttCount > 0) {
    const conn = await connect(args, caCerts)
    if (bulkBytes > 0) result.bulk = await bulk(conn, bulkBytes)
    if (rttCount > 0) result.rtt = await roundTrips(conn, rttCount, 1024)
    conn.close({ closeCode: 0, reason: '' })
  }
  if (handshakeCount > 0) {
    // One endpoint for every connection, as a real client reuses its socket.
    const endpoint = new Deno.QuicEndpoint({ hostname: '127.0.0.1' })
    const started = performance.now()
    for (let i = 0; i < handshakeCount; i++) {
      const conn = await Deno.connectQuic({
        hostname: args.one('host', '127.0.0.1')!,
        port: Number(args.one('port')),
        serverName: args.one('servername', 'localhost'),
        alpnProtocols: args.all('alpn'),
        caCerts,
        endpoint,
      })
      await roundTrips(conn, 1, 1)
      conn.close({ closeCode: 0, reason: '' })
    }
    result.handshakes = { count: handshakeCount, seconds: (performance.now() - started) / 1000 }
  }
  emit({ ...result, cpu: cpu() })
  await new Promise((r) => setTimeout(r, 20))
  Deno.exit(0)
}

const args = parseArgs(Deno.args)
try {
  if (args.mode === 'server') await server(args)
  else if (args.mode === 'client') await client(args)
  else throw new Error('mode must be server or client')
} catch (error) {
  emit({ event: 'error', message: String((error as Error)?.stack ?? error) })
  Deno.exit(1)
}
