// A Deno QUIC (quinn inside Deno) echo server and test client: the second independent
// peer of the ghostkit QUIC tests. Same arguments and JSON lines as aioquic_peer.py.
//
// Run with the binary from scripts/peers/deno.js:
//   deno run --unstable-net --allow-net --allow-read deno_peer.ts <mode> [options]
//
//   server  --cert LEAF.pem --key KEY.pem --alpn A [--host 127.0.0.1] [--port 0]
//       Echoes every bidirectional stream back on itself, every unidirectional stream
//       back on a new unidirectional stream, every datagram back as a datagram. Prints
//       {"event":"listening","host":...,"port":N} first, then per connection
//       {"event":"handshake","alpn":...}, per ended stream {"event":"stream","kind":
//       "bidi"|"uni","bytes":N,"sha256":hex}, per datagram {"event":"datagram",...},
//       and {"event":"closed","error_code":N,"reason":...}. Exits when stdin closes.
//
//   client  --port N --ca CA.pem --alpn A [--host 127.0.0.1] [--servername localhost]
//           [--bidi FILE]... [--uni FILE]... [--datagram FILE]...
//           [--close-code N] [--close-reason TEXT] [--timeout SECONDS]
//       Sends each --bidi file on its own bidirectional stream and reads the echo to its
//       end; each --uni file on its own unidirectional stream, collecting the server's
//       unidirectional streams until as many have ended; each --datagram file as one
//       datagram, resent until the same bytes come back (at most 20 times). Prints
//       {"event":"result","alpn":...,"bidi":[{"sent":D,"received":D}],"uni":{"sent":[D],
//        "received":[D]},"datagrams":{"sent":[D],"received":[D]},"max_datagram_size":N}
//       with D = {"bytes":N,"sha256":hex}; on failure {"event":"error","message":...}
//       and exit code 1.

type Digest = { bytes: number; sha256: string }

function emit(obj: unknown) {
  console.log(JSON.stringify(obj))
}

async function digest(data: Uint8Array): Promise<Digest> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))
  return { bytes: data.length, sha256: Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('') }
}

function parseArgs(argv: string[]) {
  const out: Record<string, string[]> = {}
  const mode = argv[0]
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`)
    ;(out[argv[i].slice(2)] ??= []).push(argv[i + 1])
  }
  const one = (name: string, fallback?: string) => out[name]?.at(-1) ?? fallback
  return { mode, all: (name: string) => out[name] ?? [], one }
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of readable) {
    chunks.push(chunk)
    total += chunk.length
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

async function writeAll(writable: WritableStream<Uint8Array>, data: Uint8Array) {
  const writer = writable.getWriter()
  // Chunks of 64 KiB so one write never holds the whole payload twice.
  for (let offset = 0; offset < data.length; offset += 65536) {
    await writer.write(data.subarray(offset, Math.min(offset + 65536, data.length)))
  }
  await writer.close()
}

/** Copies `readable` to `writable` while hashing what passed, returns the digest. */
async function pipeCounting(readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>) {
  const writer = writable.getWriter()
  const seen: Uint8Array[] = []
  for await (const chunk of readable) {
    seen.push(chunk)
    await writer.write(chunk)
  }
  await writer.close()
  const total = seen.reduce((n, c) => n + c.length, 0)
  const all = new Uint8Array(total)
  let offset = 0
  for (const c of seen) {
    all.set(c, offset)
    offset += c.length
  }
  return digest(all)
}

async function serveConnection(conn: Deno.QuicConn) {
  await conn.handshake
  emit({ event: 'handshake', alpn: conn.protocol ?? null })
  // Every task's failure (the connection closing under it) is reported, never thrown:
  // one bad connection must not end the server.
  const tasks: Promise<unknown>[] = []
  const track = (task: Promise<unknown>) => {
    tasks.push(task.catch((error) => emit({ event: 'task_error', message: String(error) })))
  }
  track((async () => {
    for await (const stream of conn.incomingBidirectionalStreams) {
      track(pipeCounting(stream.readable, stream.writable).then((d) => emit({ event: 'stream', kind: 'bidi', ...d })))
    }
  })())
  track((async () => {
    for await (const stream of conn.incomingUnidirectionalStreams) {
      track((async () => {
        const back = await conn.createUnidirectionalStream()
        emit({ event: 'stream', kind: 'uni', ...(await pipeCounting(stream, back)) })
      })())
    }
  })())
  track((async () => {
    for (;;) {
      const data = await conn.readDatagram()
      emit({ event: 'datagram', ...(await digest(data)) })
      await conn.sendDatagram(data)
    }
  })())
  const info = await conn.closed
  emit({ event: 'closed', error_code: info.closeCode, reason: info.reason })
  await Promise.allSettled(tasks)
}

async function server(args: ReturnType<typeof parseArgs>) {
  const endpoint = new Deno.QuicEndpoint({ hostname: args.one('host', '127.0.0.1'), port: Number(args.one('port', '0')) })
  const listener = endpoint.listen({
    cert: await Deno.readTextFile(args.one('cert')!),
    key: await Deno.readTextFile(args.one('key')!),
    alpnProtocols: args.all('alpn'),
  })
  emit({ event: 'listening', host: endpoint.addr.hostname, port: endpoint.addr.port })
  // Never outlive the process that started us: stop when our stdin closes.
  ;(async () => {
    for await (const _ of Deno.stdin.readable) { /* discard */ }
    Deno.exit(0)
  })()
  for await (const incoming of listener) {
    Promise.resolve(incoming.accept()).then(serveConnection).catch((error: unknown) => emit({ event: 'connection_error', message: String(error) }))
  }
}

async function client(args: ReturnType<typeof parseArgs>) {
  const read = (names: string[]) => Promise.all(names.map((n) => Deno.readFile(n)))
  const bidi = await read(args.all('bidi'))
  const uni = await read(args.all('uni'))
  const datagrams = await read(args.all('datagram'))
  const conn = await Deno.connectQuic({
    hostname: args.one('host', '127.0.0.1')!,
    port: Number(args.one('port')),
    serverName: args.one('servername', 'localhost'),
    alpnProtocols: args.all('alpn'),
    caCerts: args.all('ca').map((f) => Deno.readTextFileSync(f)),
  })
  await conn.handshake

  const uniReceived: Digest[] = []
  const uniDone = (async () => {
    if (uni.length === 0) return
    const reader = conn.incomingUnidirectionalStreams.getReader()
    const pending: Promise<void>[] = []
    for (let i = 0; i < uni.length; i++) {
      const { value } = await reader.read()
      if (!value) throw new Error('connection ended before every unidirectional echo arrived')
      pending.push(readAll(value).then(digest).then((d) => { uniReceived.push(d) }))
    }
    reader.releaseLock()
    await Promise.all(pending)
  })()
  const uniSent = Promise.all(uni.map(async (data) => writeAll(await conn.createUnidirectionalStream(), data)))
  const bidiResults = Promise.all(bidi.map(async (data) => {
    const stream = await conn.createBidirectionalStream()
    const [, received] = await Promise.all([writeAll(stream.writable, data), readAll(stream.readable)])
    return { sent: await digest(data), received: await digest(received) }
  }))

  const datagramsReceived: Digest[] = []
  const waiting = new Map<string, () => void>()
  const key = (d: Uint8Array) => Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('')
  let datagramReader: Promise<void> | undefined
  if (datagrams.length > 0) {
    datagramReader = (async () => {
      while (waiting.size > 0 || datagramsReceived.length < datagrams.length) {
        const data = await conn.readDatagram()
        datagramsReceived.push(await digest(data))
        waiting.get(key(data))?.()
        waiting.delete(key(data))
        if (datagramsReceived.length >= datagrams.length && waiting.size === 0) return
      }
    })()
  }
  for (const data of datagrams) {
    const echoed = new Promise<void>((resolve) => waiting.set(key(data), resolve))
    let ok = false
    for (let attempt = 0; attempt < 20 && !ok; attempt++) {
      await conn.sendDatagram(data)
      ok = await Promise.race([echoed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 250))])
    }
    if (!ok) throw new Error(`datagram of ${data.length} bytes never echoed after 20 sends`)
  }

  const result = {
    event: 'result',
    alpn: conn.protocol ?? null,
    bidi: await bidiResults,
    uni: { sent: await Promise.all(uni.map(digest)), received: (await uniSent, await uniDone, uniReceived) },
    datagrams: { sent: await Promise.all(datagrams.map(digest)), received: datagramsReceived },
    max_datagram_size: conn.maxDatagramSize,
  }
  void datagramReader
  conn.close({ closeCode: Number(args.one('close-code', '0')), reason: args.one('close-reason', '')! })
  emit(result)
  // Give the CONNECTION_CLOSE frame a moment to leave before the runtime exits.
  await new Promise((r) => setTimeout(r, 50))
  Deno.exit(0)
}

const args = parseArgs(Deno.args)
const timeout = Number(args.one('timeout', '60')) * 1000
try {
  if (args.mode === 'server') await server(args)
  else if (args.mode === 'client') {
    const timer = setTimeout(() => {
      emit({ event: 'error', message: `timed out after ${timeout} ms` })
      Deno.exit(1)
    }, timeout)
    await client(args)
    clearTimeout(timer)
  } else throw new Error('mode must be server or client')
} catch (error) {
  emit({ event: 'error', message: String((error as Error)?.stack ?? error) })
  Deno.exit(1)
}
