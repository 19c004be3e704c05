// ghostkit/quic: 0-RTT resumption, connection migration, mTLS, key logging, process lifetime.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { dial, echoServer, pki, quic, readAll, withTimeout } from './_helpers.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))

async function echoOnce(conn, text) {
  const s = await conn.openBidirectionalStream()
  s.end(text)
  return (await readAll(s)).toString()
}

test('0-RTT: a second connection from the same endpoint resumes and its early data is accepted', async () => {
  const server = await echoServer({ earlyData: true })
  const client = await quic.createEndpoint({ host: '127.0.0.1', alpn: ['test'], ca: pki.ca, earlyData: true })
  const address = `127.0.0.1:${server.address.port}`
  const first = await client.connect(address, { servername: 'localhost' })
  assert.equal(await first.earlyData, false, 'no ticket yet: no early data')
  assert.equal(await echoOnce(first, 'ticket please'), 'ticket please')
  await first.close()

  const second = await client.connect(address, { servername: 'localhost', earlyData: true })
  // The stream is written before the handshake completes: this is 0-RTT data.
  const s = await second.openBidirectionalStream()
  s.end('early bytes')
  assert.equal(await withTimeout(second.earlyData, 5000, 'early data verdict'), true)
  await second.opened
  assert.equal((await readAll(s)).toString(), 'early bytes')
  await second.close()
  await client.close()
  await server.close()
})

test('0-RTT: quic.connect() without an endpoint also resumes (process-wide ticket store)', async () => {
  const server = await echoServer({ earlyData: true })
  const first = await dial(server, { earlyData: true })
  assert.equal(await echoOnce(first, 'a'), 'a')
  await first.close()
  const second = await dial(server, { earlyData: true })
  assert.equal(await echoOnce(second, 'b'), 'b')
  assert.equal(await second.earlyData, true)
  await second.close()
  await server.close()
})

test('0-RTT offered to a server without earlyData: no early data, the connection and its streams work', async () => {
  const server = await echoServer()
  // Tickets are kept per server name, so this first attempt may already offer a stale one:
  // wait for the handshake before using it.
  const first = await dial(server, { earlyData: true })
  await first.opened
  assert.equal(await echoOnce(first, 'a'), 'a')
  await first.close()
  const second = await dial(server, { earlyData: true })
  const early = await second.openBidirectionalStream()
  early.end('early')
  const earlyOutcome = readAll(early).then(
    (data) => ({ data: data.toString() }),
    (e) => e,
  )
  assert.equal(await second.earlyData, false)
  await second.opened
  // Its tickets carry no early-data allowance, so the client does not send 0-RTT at all.
  assert.deepEqual(await earlyOutcome, { data: 'early' })
  assert.equal(await echoOnce(second, 'b'), 'b')
  await second.close()
  await server.close()
})

test('migration: the client rebinds mid-transfer and the transfer completes', async () => {
  const server = await echoServer()
  const serverConn = new Promise((resolve) => server.once('connection', resolve))
  const client = await quic.createEndpoint({ host: '127.0.0.1', alpn: ['test'], ca: pki.ca })
  const conn = await client.connect(`127.0.0.1:${server.address.port}`, { servername: 'localhost' })
  const peer = await serverConn
  const portBefore = client.address.port
  assert.equal(peer.remoteAddress.port, portBefore)
  const s = await conn.openBidirectionalStream()
  const payload = randomBytes(32 << 20)
  const received = readAll(s)
  let rebound = false
  for (let offset = 0; offset < payload.length; offset += 1 << 20) {
    if (!rebound && offset >= payload.length / 2) {
      client.rebind()
      rebound = true
    }
    if (!s.write(payload.subarray(offset, offset + (1 << 20)))) await new Promise((r) => s.once('drain', r))
  }
  s.end()
  const echoed = await withTimeout(received, 30000, 'transfer after rebind')
  assert.ok(echoed.equals(payload))
  assert.notEqual(client.address.port, portBefore)
  assert.equal(peer.remoteAddress.port, client.address.port, 'the server follows the new address')
  await conn.close()
  await client.close()
  await server.close()
})

test('mTLS: the server verifies client certificates from its CA', async () => {
  const server = await echoServer({ requestCert: true, ca: pki.ca })
  const serverConn = new Promise((resolve) => server.once('connection', resolve))
  const conn = await dial(server, { cert: pki.cert, key: pki.key })
  assert.equal(await echoOnce(conn, 'mutual'), 'mutual')
  const peer = await serverConn
  assert.equal(peer.getPeerCertificates().length >= 1, true, 'the server sees the client chain')
  await conn.close()
  const refused = await dial(server).then(
    async (c) => {
      // TLS 1.3: the client may finish before the server rejects; the rejection then closes it.
      const info = await withTimeout(c.closed, 5000, 'rejection')
      return info.error
    },
    (e) => e,
  )
  assert.equal(refused.code, 'ERR_QUIC_TRANSPORT_ERROR')
  await server.close()
})

test('keylog writes NSS key log lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ghostkit-keylog-'))
  try {
    const file = join(dir, 'keys.log')
    const server = await echoServer()
    const conn = await dial(server, { keylog: file })
    assert.equal(await echoOnce(conn, 'k'), 'k')
    await conn.close()
    await server.close()
    const text = readFileSync(file, 'utf8')
    assert.match(text, /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/m)
    assert.match(text, /^CLIENT_TRAFFIC_SECRET_0 /m)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('IPv6 loopback works', async () => {
  const server = await quic.listen({ host: '::1', cert: pki.cert, key: pki.key, alpn: ['test'] })
  server.on('connection', (c) => c.on('stream', (s) => s.pipe(s)))
  const conn = await quic.connect(`[::1]:${server.address.port}`, { alpn: ['test'], ca: pki.ca })
  assert.equal(conn.remoteAddress.family, 'IPv6')
  assert.equal(await echoOnce(conn, 'six'), 'six')
  await conn.close()
  await server.close()
})

function runChild(source) {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: here,
    encoding: 'utf8',
    timeout: 20000,
  })
  return result
}

test('a process whose endpoints are closed exits by itself; unref() lets it exit while listening', () => {
  const closed = runChild(`
    import { quic, pki, echoServer, dial, readAll } from './_helpers.mjs'
    const server = await echoServer()
    const conn = await dial(server)
    const s = await conn.openBidirectionalStream()
    s.end('bye'); await readAll(s)
    await conn.close(); await server.close()
    console.log('done')
  `)
  assert.equal(closed.signal, null, `timed out: ${closed.stderr}`)
  assert.equal(closed.status, 0, closed.stderr)
  assert.equal(closed.stdout.trim(), 'done')

  const unref = runChild(`
    import { echoServer } from './_helpers.mjs'
    const server = await echoServer()
    server.unref()
    console.log('listening', server.address.port > 0)
  `)
  assert.equal(unref.signal, null, `timed out: ${unref.stderr}`)
  assert.equal(unref.status, 0, unref.stderr)
  assert.equal(unref.stdout.trim(), 'listening true')

  const kept = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { echoServer } from './_helpers.mjs'
    await echoServer()
    console.log('listening')
  `], { cwd: here, encoding: 'utf8', timeout: 1500 })
  assert.equal(kept.signal, 'SIGTERM', "a ref'd listening endpoint keeps the process alive")
})

test('endpoints in worker threads: each runs on its own thread; a worker terminated with endpoints open exits cleanly', async () => {
  const { Worker } = await import('node:worker_threads')
  const helpers = new URL('./_helpers.mjs', import.meta.url).href
  const body = (leaveOpen) => `
    const { parentPort } = await import('node:worker_threads')
    const { echoServer, dial, readAll } = await import(${JSON.stringify(helpers)})
    const server = await echoServer()
    const conn = await dial(server)
    const s = await conn.openBidirectionalStream()
    s.end('from a worker')
    parentPort.postMessage((await readAll(s)).toString())
    ${leaveOpen ? '' : 'await conn.close(); await server.close()'}
  `
  const run = (leaveOpen) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(`import(${JSON.stringify('data:text/javascript,' + encodeURIComponent(body(leaveOpen)))})`, { eval: true })
      let message = null
      worker.on('message', (m) => {
        message = m
        if (leaveOpen) worker.terminate()
      })
      worker.on('error', reject)
      worker.on('exit', (code) => resolve({ code, message }))
    })
  // Two at once (their own loops), then one that is terminated while listening and connected.
  const [a, b] = await Promise.all([run(false), run(false)])
  assert.deepEqual(a, { code: 0, message: 'from a worker' })
  assert.deepEqual(b, { code: 0, message: 'from a worker' })
  const terminated = await withTimeout(run(true), 10000, 'terminated worker')
  assert.equal(terminated.message, 'from a worker')
  assert.equal(terminated.code, 1, 'terminate() ends a worker with code 1')
  // This thread's QUIC still works after the workers' loops went away.
  const server = await echoServer()
  const conn = await dial(server)
  assert.equal(await echoOnce(conn, 'main thread'), 'main thread')
  await conn.close()
  await server.close()
})

test('closed endpoints free their sockets: 200 quic.connect() + close() and 100 createEndpoint() + close() leave the descriptor count where it was', () => {
  const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', `
    import { readdirSync } from 'node:fs'
    import { quic, pki, echoServer } from './_helpers.mjs'
    const server = await echoServer()
    const address = '127.0.0.1:' + server.address.port
    const fds = () => readdirSync('/proc/self/fd').length
    const settle = async () => { for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 100)); globalThis.gc() } }
    await (await quic.connect(address, { alpn: ['test'], ca: pki.ca, servername: 'localhost' })).close()
    await settle()
    const before = fds()
    for (let i = 0; i < 200; i++) {
      const conn = await quic.connect(address, { alpn: ['test'], ca: pki.ca, servername: 'localhost' })
      await conn.close()
    }
    for (let i = 0; i < 100; i++) await (await quic.createEndpoint({ host: '127.0.0.1', alpn: ['test'], ca: pki.ca })).close()
    await settle()
    console.log(JSON.stringify({ before, after: fds() }))
    await server.close()
  `], { cwd: here, encoding: 'utf8', timeout: 60000 })
  assert.equal(result.status, 0, result.stderr)
  const { before, after } = JSON.parse(result.stdout)
  assert.ok(after <= before + 5, `descriptors ${before} -> ${after}: closed endpoints kept their sockets`)
})
