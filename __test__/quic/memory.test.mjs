// ghostkit/quic bounded memory: a slow reader does not make the sender buffer without
// bound; many sequential connections and streams leave RSS and handle counts flat.
// Each case runs in a child process (--expose-gc) so its RSS is its own.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

const here = fileURLToPath(new URL('.', import.meta.url))

function run(source, timeoutMs, flags = []) {
  const result = spawnSync(process.execPath, ['--expose-gc', ...flags, '--input-type=module', '-e', source], {
    cwd: here,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 20,
  })
  assert.equal(result.signal, null, `child timed out or was killed: ${result.stderr}`)
  assert.equal(result.status, 0, result.stderr)
  return JSON.parse(result.stdout.trim().split('\n').at(-1))
}

test('1 GiB to a slow reader: sender RSS grows by less than 200 MB', () => {
  // The reader is another process, so the measured RSS is the sender's alone.
  const result = run(
    `
    import { spawn } from 'node:child_process'
    import { quic, pki } from './_helpers.mjs'
    const reader = spawn(process.execPath, ['--input-type=module', '-e', \`
      import { quic, pki } from './_helpers.mjs'
      const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'] })
      server.on('connection', (c) => c.on('stream', (s) => {
        let n = 0
        // Slow: 1 MiB every 4 ms at most (~250 MiB/s), pausing in between.
        s.on('data', (d) => { n += d.length; s.pause(); setTimeout(() => s.resume(), 4 * d.length / (1 << 20)) })
        s.on('end', () => s.end(String(n)))
      }))
      console.log(JSON.stringify({ port: server.address.port }))
    \`], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] })
    const port = await new Promise((resolve) => reader.stdout.once('data', (d) => resolve(JSON.parse(d).port)))
    const conn = await quic.connect('127.0.0.1:' + port, { alpn: ['test'], ca: pki.ca, servername: 'localhost' })
    const s = await conn.openBidirectionalStream()
    global.gc()
    const before = process.memoryUsage().rss
    let peak = before
    const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 20)
    const chunk = Buffer.alloc(1 << 20, 0x61)
    for (let i = 0; i < 1024; i++) {
      if (!s.write(chunk)) await new Promise((r) => s.once('drain', r))
    }
    s.end()
    let reply = ''
    for await (const d of s) reply += d
    clearInterval(sample)
    peak = Math.max(peak, process.memoryUsage().rss)
    await conn.close()
    reader.kill()
    console.log(JSON.stringify({ received: Number(reply), growth: peak - before }))
  `,
    180000,
  )
  assert.equal(result.received, 1 << 30)
  assert.ok(result.growth < 200e6, `sender RSS grew by ${(result.growth / 1e6).toFixed(1)} MB`)
})

test('10,000 sequential connections and 100,000 streams: RSS and handles stay flat', (t) => {
  // Measured after a warm-up, so caches that fill once and then stay put are not counted
  // as growth: glibc's arenas of the QUIC runtime's threads (they stop growing after 5,000 to
  // 12,000 handshakes, then stay within 3% up to 40,000), rustls' session caches (bounded at 256 entries), and V8's young
  // generation, which V8 grows from 1 MB to 16 MB per semi-space as it sees fit (8.4 →
  // 16.8 → 33.6 MB of RSS at points that vary from run to run). The child starts with the
  // young generation at that maximum (--min-semi-space-size = --max-semi-space-size), so
  // its resizing is no part of the measurement; everything else (old space, external
  // memory, native QUIC state) still shows. "Handles" are the process's libuv handles plus
  // the QUIC Connection and QuicStream objects still alive after several GCs (counted with
  // a FinalizationRegistry): a table that kept closed connections or ended streams would
  // make that count grow.
  const result = run(
    `
    import { quic, pki, readAll } from './_helpers.mjs'
    let created = 0
    let finalized = 0
    const registry = new FinalizationRegistry(() => { finalized++ })
    const track = (object) => { created++; registry.register(object, null); return object }
    const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'], maxBidiStreams: 1000 })
    server.on('connection', (c) => {
      track(c)
      c.on('stream', (s) => { track(s); s.on('data', () => {}); s.on('end', () => s.end('k')) })
    })
    const client = await quic.createEndpoint({ host: '127.0.0.1', alpn: ['test'], ca: pki.ca })
    const address = '127.0.0.1:' + server.address.port
    const turn = () => new Promise((resolve) => setTimeout(resolve, 10))
    async function measure(openConnections) {
      // Both sides have processed every close (the server learns of it a moment later).
      for (let i = 0; i < 500 && server._connections.size + client._connections.size > openConnections; i++) await turn()
      for (let i = 0; i < 3; i++) { global.gc(); await turn() } // finalizers run between GCs
      const m = process.memoryUsage()
      return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, handles: process._getActiveHandles().length, objects: created - finalized }
    }
    async function connections(n) {
      for (let i = 0; i < n; i++) {
        const conn = track(await client.connect(address, { servername: 'localhost' }))
        await conn.close()
      }
    }
    async function streams(conn, n) {
      const batch = 200
      for (let i = 0; i < n; i += batch) {
        await Promise.all(Array.from({ length: batch }, async () => {
          const s = track(await conn.openBidirectionalStream())
          s.end('q')
          await readAll(s)
        }))
      }
    }
    await connections(10000)
    const c0 = await measure(0)
    await connections(10000)
    const c1 = await measure(0)
    const conn = track(await client.connect(address, { servername: 'localhost' }))
    await streams(conn, 20000)
    const s0 = await measure(2)
    await streams(conn, 100000)
    const s1 = await measure(2)
    await conn.close(); await client.close(); await server.close()
    console.log(JSON.stringify({ c0, c1, s0, s1 }))
  `,
    600000,
    ['--min-semi-space-size=16', '--max-semi-space-size=16'],
  )
  const mb = (n) => (n / 1e6).toFixed(1)
  for (const [name, m] of Object.entries(result)) {
    t.diagnostic(`${name}: RSS ${mb(m.rss)} MB, heapUsed ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB, handles ${m.handles}, live QUIC objects ${m.objects}`)
  }
  const flat = (a, b, what) => {
    const detail = `heapUsed ${mb(a.heapUsed)} → ${mb(b.heapUsed)} MB, external ${mb(a.external)} → ${mb(b.external)} MB`
    assert.ok(b.rss <= a.rss * 1.1, `${what}: RSS ${mb(a.rss)} → ${mb(b.rss)} MB (${detail})`)
    assert.ok(b.handles <= Math.ceil(a.handles * 1.1), `${what}: handles ${a.handles} → ${b.handles}`)
    assert.ok(b.objects <= Math.ceil(a.objects * 1.1), `${what}: live QUIC objects ${a.objects} → ${b.objects}`)
  }
  flat(result.c0, result.c1, 'connections')
  flat(result.s0, result.s1, 'streams')
})
