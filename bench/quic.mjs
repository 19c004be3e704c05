// ghostkit/quic benchmarks (BENCH.md): one-stream 512 MiB bulk transfer, 1 KiB
// request/response round trips on one connection, handshakes per second.
//
// ghostkit and node:tls run client and server in this process (the same event loop for
// both, so CPU is shared alike). @matrixai/quic and Deno run the bench protocol of
// __test__/quic/peers/BENCH-PROTOCOL.md as a server process and a client process per
// batch; their times are what the client reports (connection set-up excluded for bulk
// and round trips), CPU-seconds of both processes are reported beside them.
//
//   npm run bench -- quic [--quick] [--filter bulk]

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import { parseBenchArgs, runBenchmark } from './harness.mjs'

const require = createRequire(import.meta.url)
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const PEERS = path.join(ROOT, '__test__', 'quic', 'peers')

export const TARGETS = { 'node:tls': 1.0, '@matrixai/quic': 2.0 }

const BULK_BYTES = 512 << 20
/** @matrixai/quic's own server moves ~0.25 MiB/s: it sends 4 MiB, its time scaled to 512 MiB. */
const PEER_BULK_BYTES = { '@matrixai/quic': 4 << 20 }
const CHUNK = Buffer.alloc(1 << 20, 0x5a)
const REQUEST = Buffer.alloc(1024, 0x71)
const ALPN = 'ghostkit-bench'
/** What one operation returns: bytes counted by the server, bytes echoed, connections. */
const EXPECTED = { bulk: BULK_BYTES, roundTrip: REQUEST.length, handshake: 1 }

// ---- the bench protocol, served in-process (ghostkit and node:tls) ----------------------

/** Serves one bench-protocol stream: `B` counts to the end and answers the count, `E` echoes. */
function serveStream(stream) {
  let mode = null
  let count = 0
  stream.on('data', (data) => {
    if (mode === null) {
      mode = String.fromCharCode(data[0])
      data = data.subarray(1)
    }
    if (mode === 'B') count += data.length
    else if (data.length) stream.write(data)
  })
  stream.on('end', () => {
    if (mode === 'B') {
      const reply = Buffer.alloc(8)
      reply.writeBigUInt64BE(BigInt(count))
      stream.end(reply)
    } else {
      stream.end()
    }
  })
  stream.on('error', () => {})
}

/** Client side of `B`: sends `bytes` after the mode byte, resolves with the server's count. */
async function sendBulk(stream, bytes) {
  const reply = new Promise((resolve, reject) => {
    const parts = []
    stream.on('data', (d) => parts.push(d))
    stream.once('end', () => resolve(Buffer.concat(parts).readBigUInt64BE(0)))
    stream.once('error', reject)
  })
  stream.write('B')
  for (let sent = 0; sent < bytes; sent += CHUNK.length) {
    if (!stream.write(CHUNK)) await once(stream, 'drain')
  }
  stream.end()
  const count = await reply
  if (count !== BigInt(bytes)) throw new Error(`bulk: the server counted ${count} of ${bytes} bytes`)
  return Number(count)
}

/** Client side of `E` on a long-lived stream: one 1 KiB request, resolves on the full reply. */
function echoClient(stream) {
  let waiting = null
  let received = 0
  stream.on('data', (d) => {
    received += d.length
    if (waiting && received >= REQUEST.length) {
      received -= REQUEST.length
      const resolve = waiting
      waiting = null
      resolve(REQUEST.length)
    }
  })
  stream.write('E')
  return () =>
    new Promise((resolve) => {
      waiting = resolve
      stream.write(REQUEST)
    })
}

// ---- competitors -------------------------------------------------------------------

async function ghostkitSide(pki) {
  const quic = require('../lib/quic.js')
  const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: [ALPN] })
  server.on('connection', (conn) => conn.on('stream', serveStream))
  const address = `127.0.0.1:${server.address.port}`
  const options = { alpn: [ALPN], ca: pki.ca, servername: 'localhost' }
  // The long-lived connection idles while the peers' cases run (tens of seconds on a loaded
  // machine); a TCP socket has no idle timeout, so keep-alive keeps this one open as well.
  const conn = await quic.connect(address, { ...options, keepAlive: 5000 })
  const echo = echoClient(await conn.openBidirectionalStream())
  return {
    bulk: async () => sendBulk(await conn.openBidirectionalStream(), BULK_BYTES),
    roundTrip: echo,
    handshake: async () => {
      const c = await quic.connect(address, options)
      const s = await c.openBidirectionalStream()
      const done = echoClient(s)()
      await done
      await c.close()
      return 1
    },
    close: async () => {
      await conn.close()
      await server.close()
    },
  }
}

async function tlsSide(pki) {
  const server = tls.createServer({ cert: pki.cert, key: pki.key, ALPNProtocols: [ALPN] }, serveStream)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = server.address().port
  const options = { host: '127.0.0.1', port, ca: pki.ca, servername: 'localhost', ALPNProtocols: [ALPN] }
  const dial = (session) =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ ...options, session }, () => resolve(socket))
      socket.once('error', reject)
    })
  const echoSocket = await dial()
  const echo = echoClient(echoSocket)
  let session
  return {
    bulk: async () => sendBulk(await dial(), BULK_BYTES),
    roundTrip: echo,
    handshake: async () => {
      const socket = await dial(session)
      socket.once('session', (s) => {
        session = s
      })
      await echoClient(socket)()
      socket.end()
      return 1
    },
    close: async () => {
      server.close()
      echoSocket.destroy()
    },
  }
}

/** A peer's bench driver: a server process for the whole run, a client process per batch. */
async function peerSide(name, driver, pkiFiles) {
  const [serverCommand, serverArgs, serverEnv] = driver.server({ cert: pkiFiles.cert, key: pkiFiles.key, alpn: ALPN })
  const server = spawn(serverCommand, serverArgs, { stdio: ['pipe', 'pipe', 'inherit'], env: serverEnv })
  const port = await new Promise((resolve, reject) => {
    let text = ''
    server.stdout.on('data', (d) => {
      text += d
      const line = text.split('\n').find((l) => l.includes('"listening"'))
      if (line) resolve(JSON.parse(line).port)
    })
    server.once('exit', (code) => reject(new Error(`${name} server exited (${code})`)))
  })
  const client = async (args) => {
    const [command, base, env] = driver.client({ port, ca: pkiFiles.ca, alpn: ALPN })
    const proc = spawn(command, [...base, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env })
    let out = ''
    proc.stdout.on('data', (d) => {
      out += d
    })
    const [code] = await once(proc, 'exit')
    const line = out.trim().split('\n').at(-1)
    const result = JSON.parse(line || '{}')
    if (code !== 0 || result.event !== 'result') throw new Error(`${name} client failed: ${out}`)
    return result
  }
  const timed = (key, args, scale = 1) => async (n) => {
    const result = await client(args(n))
    return { wallSeconds: result[key].seconds * scale, cpuSeconds: (result.cpu.user + result.cpu.system) * scale }
  }
  // A slow peer moves a slice of the bulk payload; its time is scaled linearly to BULK_BYTES.
  const bulkBytes = PEER_BULK_BYTES[name] ?? BULK_BYTES
  return {
    bulk: timed('bulk', (n) => ['--bulk', String(n * bulkBytes)], BULK_BYTES / bulkBytes),
    roundTrip: timed('rtt', (n) => ['--rtt', String(n)]),
    handshake: timed('handshakes', (n) => ['--handshakes', String(n)]),
    close: async () => {
      server.stdin.end()
      await once(server, 'exit')
    },
  }
}

async function peerCommands() {
  const { benchDrivers } = await import('../__test__/quic/peers/bench-drivers.mjs')
  const { matrixai, deno } = benchDrivers()
  return { '@matrixai/quic': matrixai, deno }
}

export async function define() {
  const quic = require('../lib/quic.js')
  const pki = quic.generateCertificate()
  const dir = mkdtempSync(path.join(tmpdir(), 'ghostkit-bench-quic-'))
  const files = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') }
  writeFileSync(files.ca, pki.ca)
  writeFileSync(files.cert, pki.cert)
  writeFileSync(files.key, pki.key)
  const sides = {}
  const peers = await peerCommands()
  const competitors = (op) => [
    { name: 'ghostkit', anchor: 'ghostkit', fn: () => sides.ghostkit[op]() },
    { name: 'node:tls (TCP)', anchor: 'node:tls', fn: () => sides.tls[op]() },
    // A peer's client checks the server's answers itself and exits non-zero otherwise, so
    // its output is the value the protocol defines once one operation succeeded.
    ...Object.keys(peers).map((name) => ({
      name,
      anchor: name,
      batch: (n) => sides[name][op](n),
      output: async () => (await sides[name][op](1), EXPECTED[op]),
    })),
  ]
  return {
    module: 'quic',
    targets: TARGETS,
    info: { bulkBytes: BULK_BYTES, requestBytes: REQUEST.length, note: 'ghostkit and node:tls in-process; peers as client/server processes' },
    setup: async () => {
      sides.ghostkit = await ghostkitSide(pki)
      sides.tls = await tlsSide(pki)
      for (const [name, command] of Object.entries(peers)) sides[name] = await peerSide(name, command, files)
    },
    teardown: async () => {
      for (const side of Object.values(sides)) await side.close()
      rmSync(dir, { recursive: true, force: true })
    },
    cases: [
      { name: 'bulk 512 MiB, one stream', bytes: BULK_BYTES, pairs: { full: 5, quick: 3 }, competitors: competitors('bulk') },
      { name: '1 KiB request/response round trip', competitors: competitors('roundTrip') },
      { name: 'handshake + 1 KiB round trip', competitors: competitors('handshake') },
    ],
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = parseBenchArgs(process.argv.slice(2))
  await runBenchmark(await define(), opts)
  process.exit(0)
}
