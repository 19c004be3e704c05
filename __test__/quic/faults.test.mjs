// ghostkit/quic faults: a peer killed mid-transfer, garbage sprayed at the server's port.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { dial, echoServer, pki, quic, readAll, withTimeout } from './_helpers.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
const IDLE_MS = 1500

/** A child node process running `source` (an ES module using ./_helpers.mjs); resolves
 *  with the first JSON line it prints. */
async function child(source) {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', source], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] })
  let buffered = ''
  const first = new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      buffered += d
      const nl = buffered.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(buffered.slice(0, nl)))
    })
    proc.once('exit', (code) => reject(new Error(`child exited early (${code})`)))
  })
  return { proc, message: await withTimeout(first, 10000, 'child start') }
}

test('peer server killed with SIGKILL mid-transfer: the client stream errors within the idle timeout', async () => {
  const { proc, message } = await child(`
    import { echoServer } from './_helpers.mjs'
    const server = await echoServer({ idleTimeout: ${IDLE_MS} })
    console.log(JSON.stringify({ port: server.address.port }))
  `)
  const conn = await quic.connect(`127.0.0.1:${message.port}`, { alpn: ['test'], ca: pki.ca, servername: 'localhost', idleTimeout: IDLE_MS })
  const s = await conn.openBidirectionalStream()
  const failed = new Promise((resolve) => s.once('error', resolve))
  s.resume()
  const chunk = randomBytes(256 << 10)
  let sent = 0
  const writer = setInterval(() => {
    if (s.destroyed) return
    s.write(chunk)
    sent += chunk.length
    if (sent >= 4 << 20 && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL')
  }, 5)
  try {
    const started = Date.now()
    const error = await withTimeout(failed, IDLE_MS * 4, 'stream error after SIGKILL')
    assert.equal(error.code, 'ERR_QUIC_IDLE_TIMEOUT')
    assert.ok(Date.now() - started < IDLE_MS * 4)
    const info = await withTimeout(conn.closed, IDLE_MS * 2, 'connection closed')
    assert.equal(info.kind, 'timeout')
  } finally {
    clearInterval(writer)
    proc.kill('SIGKILL')
  }
})

test('peer client killed with SIGKILL mid-transfer: the server stream errors within the idle timeout', async () => {
  const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'], idleTimeout: IDLE_MS })
  const serverStream = new Promise((resolve) => server.once('connection', (c) => c.once('stream', resolve)))
  const { proc } = await child(`
    import { quic, pki } from './_helpers.mjs'
    const conn = await quic.connect('127.0.0.1:${server.address.port}', { alpn: ['test'], ca: pki.ca, servername: 'localhost', idleTimeout: ${IDLE_MS} })
    const s = await conn.openBidirectionalStream()
    const chunk = Buffer.alloc(64 << 10, 1)
    console.log(JSON.stringify({ connected: true }))
    for (;;) { if (!s.write(chunk)) await new Promise((r) => s.once('drain', r)) }
  `)
  try {
    const stream = await withTimeout(serverStream, 10000, 'server stream')
    const failed = new Promise((resolve) => stream.once('error', resolve))
    let received = 0
    stream.on('data', (d) => {
      received += d.length
      if (received >= 1 << 20 && !proc.killed) proc.kill('SIGKILL')
    })
    const error = await withTimeout(failed, IDLE_MS * 4 + 5000, 'server stream error after SIGKILL')
    assert.equal(error.code, 'ERR_QUIC_IDLE_TIMEOUT')
  } finally {
    proc.kill('SIGKILL')
    await server.close()
  }
})

test('random bytes sprayed at the server port leave live connections working', async () => {
  const server = await echoServer()
  const conn = await dial(server)
  const s = await conn.openBidirectionalStream()
  const payload = randomBytes(8 << 20)
  const echoed = readAll(s)
  const spray = dgram.createSocket('udp4')
  let sprayed = 0
  const sprayer = setInterval(() => {
    for (let i = 0; i < 50; i++) {
      const size = 1 + Math.floor(Math.random() * 1400)
      const garbage = randomBytes(size)
      // Half look like QUIC long/short headers so they reach deeper parsing.
      if (i % 2 === 0) garbage[0] = 0xc0 | (garbage[0] & 0x0f)
      spray.send(garbage, server.address.port, '127.0.0.1')
      sprayed++
    }
  }, 2)
  try {
    for (let offset = 0; offset < payload.length; offset += 256 << 10) {
      if (!s.write(payload.subarray(offset, offset + (256 << 10)))) await once(s, 'drain')
    }
    s.end()
    assert.ok((await withTimeout(echoed, 30000, 'echo under spray')).equals(payload))
    // A new connection during the spray works too.
    const fresh = await dial(server)
    const t = await fresh.openBidirectionalStream()
    t.end('still here')
    assert.equal((await readAll(t)).toString(), 'still here')
    await fresh.close()
  } finally {
    clearInterval(sprayer)
    spray.close()
  }
  assert.ok(sprayed > 100)
  await conn.close()
  await server.close()
})
