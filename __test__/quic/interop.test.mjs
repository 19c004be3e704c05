// ghostkit/quic against QUIC stacks nobody on this project wrote (PEERS.md):
//   aioquic 1.7.2 (Python)          — server and client, bidi/uni streams and datagrams, mTLS
//   Deno 2.9.6 (quinn in Deno)      — server and client, bidi/uni streams and datagrams
//   @matrixai/quic 2.0.9 (quiche)   — server and client, bidi streams and one uni stream (it has
//                                     no datagram API, and its client stalls — against Deno as
//                                     well — when it sends two non-empty uni streams at once)
// With aioquic also: reset(code)/stopSending(code)/destroy(error) as the peer sees them and
// the peer's RESET_STREAM/STOP_SENDING as ghostkit errors (codes both ways), a
// peer process killed mid-transfer (both roles), 0-RTT resumption with early data,
// connection migration in both directions, mutual TLS in both directions, and IPv6 ([::1]).
// Every byte is checked: random payloads of several sizes (one over 1 MiB) are echoed by the
// other side and compared in full on our side, and the peer's own report (SHA-256 of what it
// received) is compared with what we sent. Certificates come from quic.generateCertificate()
// (a CA and a CA-signed leaf). The peers are installed by scripts/peers/*.js into the peers
// cache; a peer that cannot be installed fails these tests. Every peer process is killed in
// `after`, and every wait has a deadline.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Transform, pipeline } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const quic = require('../../lib/quic.js')
const { aioquic } = require('../../scripts/peers/aioquic.js')
const { deno } = require('../../scripts/peers/deno.js')
const { matrixaiQuic } = require('../../scripts/peers/matrixai-quic.js')

const PEERS_DIR = fileURLToPath(new URL('./peers/', import.meta.url))
const ALPN = 'ghostkit-interop'
const TEST_TIMEOUT = 180_000
const PEER_TIMEOUT_S = 120

// Sizes cover empty, tiny, one packet, many packets, and > 1 MiB (flow-control window updates).
const BIDI_SIZES = [0, 1, 1000, 65_543, 1_572_867]
const UNI_SIZES = [0, 777, 300_001]
// aioquic sends packets of at most 1,200 bytes: datagrams stay under that.
const DATAGRAM_SIZES = [1, 100, 1000]

const sha256 = (data) => createHash('sha256').update(data).digest('hex')
const digest = (data) => ({ bytes: data.length, sha256: sha256(data) })
const byHash = (a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : a.bytes - b.bytes)
const sorted = (digests) => [...digests].sort(byHash)
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Rejects after `ms` with `what` in the message, so no wait in this file can hang. */
function deadline(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms) }),
  ]).finally(() => clearTimeout(timer))
}

// ---------------------------------------------------------------------------------------
// Peer processes

const running = new Set()

/** A spawned peer whose stdout is JSON lines. Killed by `stop()` and in `after`. */
class PeerProcess {
  constructor(name, command, args, env) {
    this.name = name
    this.lines = []
    this.stderr = ''
    this.waiters = []
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    running.add(this)
    let pending = ''
    this.child.stdout.setEncoding('utf8')
    this.child.stdout.on('data', (chunk) => {
      pending += chunk
      let newline
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim()
        pending = pending.slice(newline + 1)
        if (!line) continue
        try {
          this.lines.push(JSON.parse(line))
        } catch {
          this.stderr += `(stdout) ${line}\n`
        }
        this.wake()
      }
    })
    this.child.stderr.setEncoding('utf8')
    this.child.stderr.on('data', (chunk) => { this.stderr += chunk })
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        running.delete(this)
        this.exitCode = code ?? signal
        this.wake()
        resolve(this.exitCode)
      })
      this.child.on('error', (error) => {
        this.stderr += `spawn failed: ${error.message}\n`
        running.delete(this)
        this.exitCode = 'spawn-error'
        this.wake()
        resolve(this.exitCode)
      })
    })
  }

  wake() {
    for (const waiter of [...this.waiters]) waiter()
  }

  describe() {
    return `${this.name} (exit ${this.exitCode ?? 'running'})\nstdout: ${JSON.stringify(this.lines).slice(0, 2000)}\nstderr: ${this.stderr.slice(-4000)}`
  }

  /** The first line matching `predicate`; fails when the process exits first or after `ms`. */
  waitFor(predicate, ms, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.find(predicate)
        if (found) return finish(null, found)
        if (this.exitCode !== undefined) return finish(new Error(`${this.name} exited before ${what}\n${this.describe()}`))
      }
      const timer = setTimeout(() => finish(new Error(`${this.name}: no ${what} within ${ms} ms\n${this.describe()}`)), ms)
      const finish = (error, value) => {
        clearTimeout(timer)
        this.waiters = this.waiters.filter((w) => w !== check)
        if (error) reject(error)
        else resolve(value)
      }
      this.waiters.push(check)
      check()
    })
  }

  stop() {
    if (this.exitCode === undefined) this.child.kill('SIGKILL')
    return this.exited
  }
}

after(async () => {
  await Promise.all([...running].map((peer) => peer.stop()))
})

/** Runs a peer client to its end and returns its `result` line; fails with its output otherwise. */
async function runClient(name, command, args, env) {
  const peer = new PeerProcess(name, command, args, env)
  const code = await deadline(peer.exited, (PEER_TIMEOUT_S + 30) * 1000, `${name} to finish`).catch(async (error) => {
    await peer.stop()
    throw new Error(`${error.message}\n${peer.describe()}`)
  })
  const result = peer.lines.find((l) => l.event === 'result')
  assert.ok(code === 0 && result, `${name} failed:\n${peer.describe()}`)
  return result
}

// How to run each peer. `server(files)` returns [command, args, env]; `client(port, files)` too.
const PEERS = {
  aioquic: {
    datagrams: true,
    setup() {
      const { python, env } = aioquic()
      const program = join(PEERS_DIR, 'aioquic_peer.py')
      return {
        server: (f, extra = []) => [python, [program, 'server', '--host', '127.0.0.1', '--port', '0', '--alpn', ALPN,
          '--cert', f.cert, '--key', f.key, '--stdin-eof-exits', ...extra], env],
        client: (port, f, extra = []) => [python, [program, 'client', '--host', '127.0.0.1', '--port', String(port),
          '--alpn', ALPN, '--ca', f.ca, '--servername', 'localhost', '--timeout', String(PEER_TIMEOUT_S), ...extra], env],
      }
    },
  },
  deno: {
    datagrams: true,
    setup() {
      const { binary } = deno()
      const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }
      const run = [binary, ['run', '--unstable-net', '--allow-net', '--allow-read', '--no-prompt', join(PEERS_DIR, 'deno_peer.ts')]]
      return {
        server: (f, extra = []) => [run[0], [...run[1], 'server', '--host', '127.0.0.1', '--port', '0', '--alpn', ALPN,
          '--cert', f.cert, '--key', f.key, ...extra], env],
        client: (port, f, extra = []) => [run[0], [...run[1], 'client', '--host', '127.0.0.1', '--port', String(port),
          '--alpn', ALPN, '--ca', f.ca, '--servername', 'localhost', '--timeout', String(PEER_TIMEOUT_S), ...extra], env],
      }
    },
  },
  '@matrixai/quic': {
    datagrams: false,
    uni: [2],
    setup() {
      const { entry } = matrixaiQuic()
      const program = join(PEERS_DIR, 'matrixai_peer.mjs')
      return {
        server: (f, extra = []) => [process.execPath, [program, 'server', '--entry', entry, '--host', '127.0.0.1',
          '--port', '0', '--alpn', ALPN, '--cert', f.cert, '--key', f.key, ...extra], process.env],
        client: (port, f, extra = []) => [process.execPath, [program, 'client', '--entry', entry, '--host', '127.0.0.1',
          '--port', String(port), '--alpn', ALPN, '--ca', f.ca, '--servername', 'localhost',
          '--timeout', String(PEER_TIMEOUT_S), ...extra], process.env],
      }
    },
  },
}

// ---------------------------------------------------------------------------------------
// Fixtures: one CA + leaf, payload files

let dir
let certs
let files
const payloads = {
  bidi: BIDI_SIZES.map((n) => randomBytes(n)),
  uni: UNI_SIZES.map((n) => randomBytes(n)),
  // Distinct contents, so each echo can be matched to what was sent.
  datagrams: DATAGRAM_SIZES.map((n) => randomBytes(n)),
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ghostkit-quic-interop-'))
  certs = quic.generateCertificate()
  files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'leaf.pem'), key: join(dir, 'leaf.key') }
  writeFileSync(files.ca, certs.ca)
  writeFileSync(files.cert, certs.cert)
  writeFileSync(files.key, certs.key)
  const write = (kind, list) => list.map((data, i) => {
    const name = join(dir, `${kind}-${i}.bin`)
    writeFileSync(name, data)
    return name
  })
  files.bidi = write('bidi', payloads.bidi)
  files.uni = write('uni', payloads.uni)
  files.datagrams = write('datagram', payloads.datagrams)
})

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** The unidirectional payloads a peer is given: all, or the indices its `uni` lists. */
const uniIndices = (peer) => peer.uni ?? payloads.uni.map((_, i) => i)
const uniPayloads = (peer) => uniIndices(peer).map((i) => payloads.uni[i])

const payloadArgs = (peer) => [
  ...files.bidi.flatMap((f) => ['--bidi', f]),
  ...uniIndices(peer).flatMap((i) => ['--uni', files.uni[i]]),
  ...(peer.datagrams ? files.datagrams.flatMap((f) => ['--datagram', f]) : []),
]

// ---------------------------------------------------------------------------------------
// ghostkit side

/** Reads a readable stream to its end. */
async function readAll(stream) {
  return Buffer.concat(await deadline(stream.toArray(), PEER_TIMEOUT_S * 1000, `stream ${stream.id} to end`))
}

/** A pass-through that records the digest of what went through it. */
function hashing(onDone) {
  const hash = createHash('sha256')
  let bytes = 0
  return new Transform({
    transform(chunk, _encoding, callback) {
      hash.update(chunk)
      bytes += chunk.length
      callback(null, chunk)
    },
    flush(callback) {
      onDone({ bytes, sha256: hash.digest('hex') })
      callback()
    },
  })
}

/** A ghostkit echo server with the same behaviour as the peers' servers, recording what it saw. */
async function ghostkitEchoServer(options = {}) {
  const endpoint = await quic.listen({ host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key, alpn: [ALPN], ...options })
  const seen = { connections: [], streams: [], datagrams: [], errors: [] }
  endpoint.on('connection', (conn) => {
    seen.connections.push(conn)
    conn.on('stream', (stream) => {
      const record = (d) => seen.streams.push({ direction: stream.direction, ...d })
      const fail = (error) => { if (error) seen.errors.push(error) }
      if (stream.direction === 'bidi') {
        pipeline(stream, hashing(record), stream, fail)
      } else {
        conn.openUnidirectionalStream().then((back) => pipeline(stream, hashing(record), back, fail), fail)
      }
    })
    conn.on('datagram', (data) => {
      seen.datagrams.push(digest(data))
      try {
        conn.sendDatagram(data)
      } catch (error) {
        seen.errors.push(error)
      }
    })
  })
  return { endpoint, port: endpoint.address.port, seen }
}

/** Sends each payload as a datagram until the same bytes come back (20 tries, 250 ms apart). */
async function echoDatagrams(conn, list) {
  const received = []
  const waiting = new Map()
  const onDatagram = (data) => {
    const bytes = Buffer.from(data)
    received.push(bytes)
    const key = bytes.toString('hex')
    waiting.get(key)?.()
    waiting.delete(key)
  }
  conn.on('datagram', onDatagram)
  try {
    for (const data of list) {
      const echoed = new Promise((resolve) => waiting.set(data.toString('hex'), resolve))
      let ok = false
      for (let attempt = 0; attempt < 20 && !ok; attempt++) {
        conn.sendDatagram(data)
        ok = await Promise.race([echoed.then(() => true), delay(250).then(() => false)])
      }
      assert.ok(ok, `datagram of ${data.length} bytes never came back after 20 sends`)
    }
  } finally {
    conn.off('datagram', onDatagram)
  }
  return received
}

/** Client side of one exchange against an echo server: every payload kind, checked byte for byte. */
async function exchangeAsClient(conn, { datagrams, uni }) {
  const incomingUni = []
  const uniDone = new Promise((resolve, reject) => {
    if (uni.length === 0) resolve()
    conn.on('stream', (stream) => {
      if (stream.direction !== 'uni') return reject(new Error(`unexpected incoming ${stream.direction} stream ${stream.id}`))
      readAll(stream).then((data) => {
        incomingUni.push(data)
        if (incomingUni.length === uni.length) resolve()
      }, reject)
    })
  })

  const bidi = Promise.all(payloads.bidi.map(async (data) => {
    const stream = await conn.openBidirectionalStream()
    assert.equal(stream.direction, 'bidi')
    assert.equal(stream.incoming, false)
    stream.end(data)
    return readAll(stream)
  }))
  for (const data of uni) {
    const stream = await conn.openUnidirectionalStream()
    assert.equal(stream.direction, 'uni')
    stream.end(data)
  }

  const echoed = await bidi
  echoed.forEach((data, i) => {
    assert.equal(data.length, payloads.bidi[i].length, `bidi stream ${i}: length`)
    assert.ok(data.equals(payloads.bidi[i]), `bidi stream ${i} (${payloads.bidi[i].length} bytes): content differs`)
  })
  await deadline(uniDone, PEER_TIMEOUT_S * 1000, 'the unidirectional echoes')
  assert.deepEqual(sorted(incomingUni.map(digest)), sorted(uni.map(digest)), 'unidirectional echoes')

  if (datagrams) {
    assert.ok(conn.maxDatagramSize >= Math.max(...DATAGRAM_SIZES), `maxDatagramSize ${conn.maxDatagramSize}`)
    const received = await echoDatagrams(conn, payloads.datagrams)
    const sent = new Set(payloads.datagrams.map((d) => d.toString('hex')))
    for (const data of received) assert.ok(sent.has(data.toString('hex')), `a datagram of ${data.length} bytes came back altered`)
  }
}

/** What a peer client reported must be exactly what we sent (and, echoed, what it got back). */
function assertClientResult(result, { datagrams, uni }) {
  assert.equal(result.alpn, ALPN)
  assert.equal(result.bidi.length, payloads.bidi.length)
  result.bidi.forEach((stream, i) => {
    assert.deepEqual(stream.sent, digest(payloads.bidi[i]), `bidi ${i}: sent`)
    assert.deepEqual(stream.received, digest(payloads.bidi[i]), `bidi ${i}: echo`)
  })
  assert.deepEqual(sorted(result.uni.sent), sorted(uni.map(digest)), 'uni sent')
  assert.deepEqual(sorted(result.uni.received), sorted(uni.map(digest)), 'uni echoes')
  if (datagrams) {
    assert.deepEqual(sorted(result.datagrams.sent), sorted(payloads.datagrams.map(digest)), 'datagrams sent')
    const expected = new Set(payloads.datagrams.map((d) => sha256(d)))
    for (const d of result.datagrams.received) assert.ok(expected.has(d.sha256), 'a datagram came back altered')
    for (const d of payloads.datagrams) assert.ok(result.datagrams.received.some((r) => r.sha256 === sha256(d)), `datagram of ${d.length} bytes not echoed`)
  }
}

/** What the ghostkit server saw must be exactly what the peer sent. */
function assertServerSaw(seen, { datagrams, uni }) {
  assert.deepEqual(seen.errors, [], 'errors in the ghostkit echo server')
  const streams = (direction) => sorted(seen.streams.filter((s) => s.direction === direction).map(({ bytes, sha256: h }) => ({ bytes, sha256: h })))
  assert.deepEqual(streams('bidi'), sorted(payloads.bidi.map(digest)), 'bidi streams the server received')
  assert.deepEqual(streams('uni'), sorted(uni.map(digest)), 'uni streams the server received')
  if (datagrams) {
    const expected = new Set(payloads.datagrams.map((d) => sha256(d)))
    assert.ok(seen.datagrams.length >= payloads.datagrams.length, 'datagrams the server received')
    for (const d of seen.datagrams) assert.ok(expected.has(d.sha256), 'the server received an altered datagram')
  }
}

// ---------------------------------------------------------------------------------------
// The tests

for (const [name, peer] of Object.entries(PEERS)) {
  describe(`interop with ${name}`, { timeout: TEST_TIMEOUT * 3 }, () => {
    let run
    before(() => {
      run = peer.setup() // installs the peer on first use; throws (failing the suite) if it cannot
    })

    it(`ghostkit client → ${name} server: bidi + uni streams${peer.datagrams ? ' + datagrams' : ''}, close code reaches the peer`, { timeout: TEST_TIMEOUT }, async () => {
      const server = new PeerProcess(`${name} server`, ...run.server(files))
      const listening = await server.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
      const conn = await deadline(quic.connect(`127.0.0.1:${listening.port}`, { alpn: [ALPN], ca: certs.ca, servername: 'localhost' }),
        30_000, `connect to ${name}`).catch((error) => {
        error.message += `\n${server.describe()}`
        throw error
      })
      try {
        await conn.opened
        assert.equal(conn.alpnProtocol, ALPN)
        assert.equal(conn.remoteAddress.port, listening.port)
        const chain = conn.getPeerCertificates()
        assert.ok(chain.length >= 1, 'the server certificate chain is exposed')
        await exchangeAsClient(conn, { datagrams: peer.datagrams, uni: uniPayloads(peer) })
        // The peer's own account of every stream it echoed.
        for (const data of [...payloads.bidi, ...uniPayloads(peer)]) {
          const d = digest(data)
          await server.waitFor((l) => l.event === 'stream' && l.sha256 === d.sha256 && l.bytes === d.bytes, 30_000, `its report of a ${d.bytes}-byte stream`)
        }
      } finally {
        await deadline(conn.close(42, 'interop done'), 30_000, 'connection close')
      }
      if (name !== '@matrixai/quic') {
        // aioquic and Deno report the application close code and reason they received.
        const closed = await server.waitFor((l) => l.event === 'closed', 30_000, 'its close report')
        assert.equal(closed.error_code, 42)
        assert.equal(closed.reason, 'interop done')
      }
      await server.stop()
    })

    it(`${name} client → ghostkit server: bidi + uni streams${peer.datagrams ? ' + datagrams' : ''}, peer's close code surfaces`, { timeout: TEST_TIMEOUT }, async () => {
      const { endpoint, port, seen } = await ghostkitEchoServer()
      try {
        const result = await runClient(`${name} client`, ...run.client(port, files,
          [...payloadArgs(peer), '--close-code', '7', '--close-reason', 'peer done']))
        assertClientResult(result, { datagrams: peer.datagrams, uni: uniPayloads(peer) })
        assertServerSaw(seen, { datagrams: peer.datagrams, uni: uniPayloads(peer) })
        assert.equal(seen.connections.length, 1)
        const conn = seen.connections[0]
        assert.equal(conn.alpnProtocol, ALPN)
        const info = await deadline(conn.closed, 30_000, 'the server connection to close')
        assert.equal(info.kind, 'application')
        assert.equal(info.errorCode, 7)
        assert.equal(info.reason, 'peer done')
      } finally {
        await deadline(endpoint.close(), 30_000, 'endpoint close')
      }
    })
  })
}

describe('address-validation tokens stay with the server that issued them', { timeout: TEST_TIMEOUT * 2 }, () => {
  // quinn (in Deno) sends NEW_TOKEN; quiche (in @matrixai/quic) drops every Initial that
  // carries a token it did not issue. Both servers are "localhost": a client that kept
  // tokens by name alone hung in the second handshake until its idle timeout.
  it('a Deno server\'s NEW_TOKEN is not offered to a @matrixai/quic server of the same name', { timeout: TEST_TIMEOUT }, async () => {
    const deno = new PeerProcess('deno server (tokens)', ...PEERS.deno.setup().server(files))
    const matrixai = new PeerProcess('@matrixai/quic server (tokens)', ...PEERS['@matrixai/quic'].setup().server(files))
    const endpoint = await quic.createEndpoint({ host: '127.0.0.1', alpn: [ALPN], ca: certs.ca })
    try {
      const first = await deno.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
      const conn = await deadline(endpoint.connect(`127.0.0.1:${first.port}`, { servername: 'localhost' }), 30_000, 'connect to deno')
      // A round trip after the handshake: the server's NEW_TOKEN has arrived with it.
      const stream = await conn.openBidirectionalStream()
      stream.end(payloads.bidi[2])
      assert.deepEqual(await readAll(stream), payloads.bidi[2])
      await deadline(conn.close(), 30_000, 'close')
      const second = await matrixai.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
      const other = await deadline(endpoint.connect(`127.0.0.1:${second.port}`, { servername: 'localhost' }), 30_000,
        'connect to @matrixai/quic after deno').catch((error) => {
        error.message += `\n${matrixai.describe()}`
        throw error
      })
      assert.equal(other.alpnProtocol, ALPN)
      await deadline(other.close(), 30_000, 'close')
    } finally {
      await deadline(endpoint.close(), 30_000, 'endpoint close')
      await deno.stop()
      await matrixai.stop()
    }
  })
})

describe('stream abort signals seen by aioquic', { timeout: TEST_TIMEOUT * 2 }, () => {
  let server
  let conn
  before(async () => {
    const run = PEERS.aioquic.setup()
    server = new PeerProcess('aioquic server (aborts)', ...run.server(files))
    const { port } = await server.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
    conn = await deadline(quic.connect(`127.0.0.1:${port}`, { alpn: [ALPN], ca: certs.ca, servername: 'localhost' }), 30_000, 'connect')
  })
  after(async () => {
    if (conn) await deadline(conn.close(), 30_000, 'connection close')
    await server?.stop()
  })

  /** Writes `data`, waits until the peer has it, then runs `abort(stream)`. */
  async function openAndWrite(data) {
    const stream = await conn.openBidirectionalStream()
    stream.on('error', () => {}) // the abort's own error is not what these tests check
    await new Promise((resolve, reject) => stream.write(data, (error) => (error ? reject(error) : resolve())))
    return { stream, id: Number(stream.id) }
  }

  it('reset(code) arrives as RESET_STREAM with that code', { timeout: TEST_TIMEOUT }, async () => {
    const { stream, id } = await openAndWrite(payloads.bidi[2])
    stream.reset(0x1234)
    const reset = await server.waitFor((l) => l.event === 'reset' && l.stream_id === id, 30_000, `RESET_STREAM on stream ${id}`)
    assert.equal(reset.error_code, 0x1234)
    assert.ok(!server.lines.some((l) => l.event === 'stream' && l.stream_id === id), 'a reset stream must not look complete to the peer')
  })

  it('stopSending(code) arrives as STOP_SENDING with that code', { timeout: TEST_TIMEOUT }, async () => {
    const { stream, id } = await openAndWrite(payloads.bidi[2])
    stream.stopSending(0x77)
    const stop = await server.waitFor((l) => l.event === 'stop_sending' && l.stream_id === id, 30_000, `STOP_SENDING on stream ${id}`)
    assert.equal(stop.error_code, 0x77)
  })

  it('destroy(error) before end() resets the sending half: the peer never sees a clean end of a truncated stream', { timeout: TEST_TIMEOUT }, async () => {
    const { stream, id } = await openAndWrite(payloads.bidi[2])
    stream.destroy(new Error('the application failed half-way'))
    await server.waitFor((l) => (l.event === 'reset' || l.event === 'stream') && l.stream_id === id, 30_000, `the end of stream ${id}`)
    const fin = server.lines.find((l) => l.event === 'stream' && l.stream_id === id)
    assert.equal(fin, undefined, `the peer received a FIN after ${fin?.bytes} bytes of a destroyed stream`)
  })
})

describe('IPv6 with aioquic', { timeout: TEST_TIMEOUT * 2 }, () => {
  let run
  before(() => {
    run = PEERS.aioquic.setup()
  })

  it('ghostkit client → aioquic server on [::1]', { timeout: TEST_TIMEOUT }, async () => {
    const [command, args, env] = run.server(files)
    const server = new PeerProcess('aioquic server (::1)', command, args.map((a) => (a === '127.0.0.1' ? '::1' : a)), env)
    try {
      const { port } = await server.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
      const conn = await deadline(quic.connect(`[::1]:${port}`, { alpn: [ALPN], ca: certs.ca, servername: 'localhost' }), 30_000, 'connect')
      try {
        assert.equal(conn.remoteAddress.family, 'IPv6')
        assert.equal(conn.remoteAddress.address, '::1')
        const stream = await conn.openBidirectionalStream()
        stream.end(payloads.bidi[3])
        assert.ok((await readAll(stream)).equals(payloads.bidi[3]))
      } finally {
        await deadline(conn.close(), 30_000, 'close')
      }
    } finally {
      await server.stop()
    }
  })

  it('aioquic client → ghostkit server on [::1]', { timeout: TEST_TIMEOUT }, async () => {
    const { endpoint, port, seen } = await ghostkitEchoServer({ host: '::1' })
    try {
      assert.equal(endpoint.address.family, 'IPv6')
      const [command, args, env] = run.client(port, files, ['--bidi', files.bidi[3], '--datagram', files.datagrams[2]])
      const result = await runClient('aioquic client (::1)', command, args.map((a) => (a === '127.0.0.1' ? '::1' : a)), env)
      assert.deepEqual(result.bidi[0].received, digest(payloads.bidi[3]))
      assert.ok(result.datagrams.received.some((d) => d.sha256 === sha256(payloads.datagrams[2])), 'the datagram came back')
      assert.equal(seen.connections[0].remoteAddress.family, 'IPv6')
    } finally {
      await deadline(endpoint.close(), 30_000, 'endpoint close')
    }
  })
})

describe('stream aborts from an aioquic client', { timeout: TEST_TIMEOUT * 2 }, () => {
  let run
  before(() => {
    run = PEERS.aioquic.setup()
  })

  it('RESET_STREAM(code) from the peer errors the ghostkit stream with ERR_QUIC_STREAM_RESET and that code', { timeout: TEST_TIMEOUT }, async () => {
    const endpoint = await quic.listen({ host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key, alpn: [ALPN] })
    try {
      const failed = new Promise((resolve) => endpoint.once('connection', (conn) => conn.once('stream', (stream) => {
        stream.on('error', resolve)
        stream.resume()
      })))
      const result = await runClient('aioquic client (reset)', ...run.client(endpoint.address.port, files,
        ['--bidi', files.bidi[2], '--abort', 'reset', '--abort-code', String(0x3a3a)]))
      assert.equal(result.aborted, 'reset')
      const error = await deadline(failed, 30_000, 'the stream error')
      assert.equal(error.code, 'ERR_QUIC_STREAM_RESET', `${error.code}: ${error.message}`)
      assert.equal(error.errorCode, 0x3a3a)
    } finally {
      await deadline(endpoint.close(), 30_000, 'endpoint close')
    }
  })

  it('STOP_SENDING(code) from the peer fails ghostkit writes with ERR_QUIC_STREAM_STOPPED and that code', { timeout: TEST_TIMEOUT }, async () => {
    const endpoint = await quic.listen({ host: '127.0.0.1', port: 0, cert: certs.cert, key: certs.key, alpn: [ALPN] })
    let ticker
    try {
      const failed = new Promise((resolve) => endpoint.once('connection', (conn) => conn.once('stream', (stream) => {
        stream.on('error', resolve)
        stream.on('data', (chunk) => stream.write(chunk))
        // Keep writing: the stop surfaces on the sending half.
        ticker = setInterval(() => { if (!stream.destroyed) stream.write(Buffer.alloc(64)) }, 20)
      })))
      const result = await runClient('aioquic client (stop)', ...run.client(endpoint.address.port, files,
        ['--bidi', files.bidi[2], '--abort', 'stop', '--abort-code', String(0x5b)]))
      assert.equal(result.aborted, 'stop')
      assert.ok(result.echoed_bytes >= payloads.bidi[2].length, 'the echo flowed before the stop')
      const error = await deadline(failed, 30_000, 'the stream error')
      assert.equal(error.code, 'ERR_QUIC_STREAM_STOPPED', `${error.code}: ${error.message}`)
      assert.equal(error.errorCode, 0x5b)
    } finally {
      clearInterval(ticker)
      await deadline(endpoint.close(), 30_000, 'endpoint close')
    }
  })
})

describe('an aioquic peer killed mid-transfer', { timeout: TEST_TIMEOUT * 2 }, () => {
  const IDLE_MS = 2000
  // Generous: this bounds the wait so nothing hangs; it is not a timing assertion.
  const GIVE_UP_MS = IDLE_MS + 20_000
  let run
  let big
  before(() => {
    run = PEERS.aioquic.setup()
    big = join(dir, 'big.bin')
    writeFileSync(big, randomBytes(16 << 20))
  })

  /** Resolves with the error `stream` is destroyed with (fails if it ends cleanly). */
  const streamError = (stream) => new Promise((resolve, reject) => {
    stream.on('error', resolve)
    stream.on('close', () => { if (!stream.errored) reject(new Error(`stream ${stream.id} closed without an error`)) })
  })

  it('ghostkit client: the server process dies → the open stream and the connection fail with idle timeout', { timeout: TEST_TIMEOUT }, async () => {
    const server = new PeerProcess('aioquic server (killed)', ...run.server(files))
    const { port } = await server.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
    const conn = await deadline(quic.connect(`127.0.0.1:${port}`, { alpn: [ALPN], ca: certs.ca, servername: 'localhost', idleTimeout: IDLE_MS }),
      30_000, 'connect')
    try {
      const stream = await conn.openBidirectionalStream()
      const failed = streamError(stream)
      const firstEcho = new Promise((resolve) => stream.once('data', resolve))
      stream.write(randomBytes(4 << 20))
      await deadline(firstEcho, 30_000, 'the first echoed bytes')
      await server.stop()
      stream.resume()
      const error = await deadline(failed, GIVE_UP_MS, 'the stream to fail after the peer died')
      assert.equal(error.code, 'ERR_QUIC_IDLE_TIMEOUT', `${error.code}: ${error.message}`)
      const info = await deadline(conn.closed, GIVE_UP_MS, 'the connection to close')
      assert.equal(info.kind, 'timeout')
      await assert.rejects(conn.openBidirectionalStream(), (e) => typeof e.code === 'string' && e.code.startsWith('ERR_QUIC_'))
    } finally {
      conn.destroy()
    }
  })

  it('ghostkit server: the client process dies mid-upload → the stream and the connection fail with idle timeout', { timeout: TEST_TIMEOUT }, async () => {
    const { endpoint, port } = await ghostkitEchoServer({ idleTimeout: IDLE_MS })
    const upload = new Promise((resolve) => {
      endpoint.once('connection', (conn) => conn.once('stream', (stream) => {
        stream.once('data', () => resolve({ conn, stream }))
      }))
    })
    try {
      const client = new PeerProcess('aioquic client (killed)', ...run.client(port, files, ['--bidi', big]))
      const { conn, stream } = await deadline(upload, 60_000, 'the upload to start')
      const failed = streamError(stream)
      await client.stop()
      const error = await deadline(failed, GIVE_UP_MS, 'the server stream to fail after the client died')
      assert.equal(error.code, 'ERR_QUIC_IDLE_TIMEOUT', `${error.code}: ${error.message}`)
      const info = await deadline(conn.closed, GIVE_UP_MS, 'the server connection to close')
      assert.equal(info.kind, 'timeout')
    } finally {
      await deadline(endpoint.close(), 30_000, 'endpoint close')
    }
  })
})

describe('0-RTT with aioquic', { timeout: TEST_TIMEOUT * 2 }, () => {
  it('a second connection resumes the session and its early data is accepted by aioquic', { timeout: TEST_TIMEOUT }, async () => {
    const run = PEERS.aioquic.setup()
    const server = new PeerProcess('aioquic server (tickets)', ...run.server(files, ['--session-tickets']))
    try {
      const { port } = await server.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
      const options = { alpn: [ALPN], ca: certs.ca, servername: 'localhost', earlyData: true }
      const echo = async (conn, data) => {
        const stream = await conn.openBidirectionalStream()
        stream.end(data)
        return readAll(stream)
      }

      const first = await deadline(quic.connect(`127.0.0.1:${port}`, options), 30_000, 'first connect')
      await first.opened
      // A full round trip after the handshake: the ticket (sent with the handshake's
      // last flight) is in by then.
      assert.ok((await echo(first, payloads.bidi[2])).equals(payloads.bidi[2]))
      assert.equal(await first.earlyData, false, 'nothing to resume on a first connection')
      await deadline(first.close(), 30_000, 'first close')
      const firstHandshake = await server.waitFor((l) => l.event === 'handshake', 30_000, 'first handshake')
      assert.equal(firstHandshake.session_resumed, false)

      const second = await deadline(quic.connect(`127.0.0.1:${port}`, options), 30_000, 'second connect')
      try {
        const data = payloads.bidi[3]
        const back = await echo(second, data) // opened before the handshake completes: 0-RTT
        assert.ok(back.equals(data), 'the early-data stream round-trips')
        assert.equal(await deadline(second.earlyData, 30_000, 'earlyData'), true, 'ghostkit reports its early data accepted')
        const handshakes = () => server.lines.filter((l) => l.event === 'handshake')
        await server.waitFor(() => handshakes().length >= 2, 30_000, 'second handshake')
        assert.equal(handshakes()[1].session_resumed, true, 'aioquic resumed the session')
        assert.equal(handshakes()[1].early_data_accepted, true, 'aioquic accepted 0-RTT')
      } finally {
        await deadline(second.close(), 30_000, 'second close')
      }
    } finally {
      await server.stop()
    }
  })
})

describe('connection migration with aioquic', { timeout: TEST_TIMEOUT * 2 }, () => {
  it('a ghostkit client that rebinds its socket mid-transfer completes the echo byte for byte', { timeout: TEST_TIMEOUT }, async () => {
    const run = PEERS.aioquic.setup()
    const server = new PeerProcess('aioquic server (migration)', ...run.server(files))
    const endpoint = await quic.createEndpoint({ host: '127.0.0.1', port: 0 })
    try {
      const { port } = await server.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
      const conn = await deadline(endpoint.connect(`127.0.0.1:${port}`, { alpn: [ALPN], ca: certs.ca, servername: 'localhost' }), 30_000, 'connect')
      const data = randomBytes(3 << 20)
      const stream = await conn.openBidirectionalStream()
      const chunks = []
      let received = 0
      const halfway = new Promise((resolve) => {
        stream.on('data', (chunk) => {
          chunks.push(chunk)
          received += chunk.length
          if (received >= data.length / 3) resolve()
        })
      })
      const ended = new Promise((resolve, reject) => { stream.on('end', resolve); stream.on('error', reject) })
      stream.end(data)
      await deadline(halfway, 60_000, 'a third of the echo')
      const before = endpoint.address.port
      endpoint.rebind()
      assert.notEqual(endpoint.address.port, before, 'the endpoint moved to a new port')
      await deadline(ended, 60_000, 'the rest of the echo after the rebind')
      const back = Buffer.concat(chunks)
      assert.equal(back.length, data.length)
      assert.ok(back.equals(data), 'the echo is intact across the migration')
      const d = digest(data)
      await server.waitFor((l) => l.event === 'stream' && l.sha256 === d.sha256, 30_000, 'its report of the migrated stream')
      await deadline(conn.close(), 30_000, 'close')
      const closed = await server.waitFor((l) => l.event === 'closed', 30_000, 'its close report')
      assert.equal(closed.peer_port, endpoint.address.port, 'aioquic moved the connection to the new address')
    } finally {
      await deadline(endpoint.close(), 30_000, 'endpoint close')
      await server.stop()
    }
  })
})

describe('connection migration accepted by a ghostkit server', { timeout: TEST_TIMEOUT * 2 }, () => {
  it('an aioquic client that moves to a new port mid-echo completes byte for byte', { timeout: TEST_TIMEOUT }, async () => {
    const run = PEERS.aioquic.setup()
    const { endpoint, port, seen } = await ghostkitEchoServer()
    // The client ports the server connection reports while it lives (sampled).
    const remotePorts = new Set()
    const sampler = setInterval(() => {
      for (const conn of seen.connections) if (!conn.isClosed) remotePorts.add(conn.remoteAddress.port)
    }, 10)
    try {
      const big = payloads.bidi[4]
      const result = await runClient('aioquic client (migrating)', ...run.client(port, files,
        ['--bidi', files.bidi[4], '--migrate-after', String(big.length >> 2)]))
      clearInterval(sampler)
      assert.ok(result.migrated?.to > 0 && result.migrated.to !== result.migrated.from, `the client moved: ${JSON.stringify(result.migrated)}`)
      assert.ok(remotePorts.has(result.migrated.to), `remoteAddress followed the client to port ${result.migrated.to} (saw ${[...remotePorts]})`)
      assert.deepEqual(result.bidi[0].received, digest(big), 'the echo is intact across the migration')
      assert.deepEqual(seen.errors, [])
      assert.deepEqual(seen.streams.map(({ bytes, sha256: h }) => ({ bytes, sha256: h })), [digest(big)], 'the server received every byte')
    } finally {
      clearInterval(sampler)
      await deadline(endpoint.close(), 30_000, 'endpoint close')
    }
  })
})

describe('mutual TLS with aioquic', { timeout: TEST_TIMEOUT * 2 }, () => {
  let run
  before(() => {
    run = PEERS.aioquic.setup()
  })

  it('ghostkit client presents a CA-signed certificate to an aioquic server that requires one', { timeout: TEST_TIMEOUT }, async () => {
    const server = new PeerProcess('aioquic server (mTLS)', ...run.server(files, ['--ca', files.ca, '--require-client-cert']))
    const { port } = await server.waitFor((l) => l.event === 'listening', 60_000, 'listening line')
    const conn = await deadline(quic.connect(`127.0.0.1:${port}`, {
      alpn: [ALPN], ca: certs.ca, servername: 'localhost', cert: certs.cert, key: certs.key,
    }), 30_000, 'connect')
    try {
      await conn.opened
      const handshake = await server.waitFor((l) => l.event === 'handshake', 30_000, 'handshake report')
      assert.equal(handshake.client_cert, true)
      assert.equal(handshake.client_cert_verified, true, "aioquic checked the client leaf against the CA")
      const stream = await conn.openBidirectionalStream()
      stream.end(payloads.bidi[2])
      assert.ok((await readAll(stream)).equals(payloads.bidi[2]))
    } finally {
      await deadline(conn.close(), 30_000, 'connection close')
      await server.stop()
    }
  })

  it('an aioquic client without a certificate is refused by a ghostkit server that requires one', { timeout: TEST_TIMEOUT }, async () => {
    const { endpoint, port, seen } = await ghostkitEchoServer({ requestCert: true, ca: certs.ca })
    try {
      const peer = new PeerProcess('aioquic client (no cert)', ...run.client(port, files, ['--bidi', files.bidi[1]]))
      await deadline(peer.exited, (PEER_TIMEOUT_S + 30) * 1000, 'aioquic client to finish')
      assert.notEqual(peer.exitCode, 0, `the client without a certificate got through:\n${peer.describe()}`)
      assert.ok(peer.lines.some((l) => l.event === 'error'), peer.describe())
      assert.equal(seen.streams.length, 0, 'no stream may reach the application')
    } finally {
      await deadline(endpoint.close(), 30_000, 'endpoint close')
    }
  })

  it('an aioquic client with a CA-signed certificate is accepted and its chain is visible', { timeout: TEST_TIMEOUT }, async () => {
    const { endpoint, port, seen } = await ghostkitEchoServer({ requestCert: true, ca: certs.ca })
    try {
      const result = await runClient('aioquic client (mTLS)', ...run.client(port, files,
        ['--cert', files.cert, '--key', files.key, '--bidi', files.bidi[3]]))
      assert.deepEqual(result.bidi[0].received, digest(payloads.bidi[3]))
      const chain = seen.connections[0].getPeerCertificates()
      assert.ok(chain.length >= 1, 'the client certificate chain is exposed on the server')
      const firstPem = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(certs.cert)
      const leafDer = Buffer.from(firstPem[1].replace(/\s+/g, ''), 'base64')
      assert.ok(chain[0].equals(leafDer), 'the first certificate is the client leaf')
    } finally {
      await deadline(endpoint.close(), 30_000, 'endpoint close')
    }
  })
})
