// Shared helpers for the ghostkit/quic suites (not a test file itself).
import { createRequire } from 'node:module'

/** The module under test (CommonJS). Loading failures propagate: every suite fails loudly. */
export const quic = createRequire(import.meta.url)('../../lib/quic.js')

/** One development CA + leaf for the whole test run: child processes inherit it through
 *  the environment, so a peer in another process trusts the same CA. */
export const pki = process.env.GHOSTKIT_TEST_QUIC_PKI
  ? JSON.parse(process.env.GHOSTKIT_TEST_QUIC_PKI)
  : quic.generateCertificate()
process.env.GHOSTKIT_TEST_QUIC_PKI = JSON.stringify(pki)

/** A server on 127.0.0.1 that echoes every stream (bidi: back on itself; uni: on a new uni stream). */
export async function echoServer(options = {}) {
  const server = await quic.listen({ host: '127.0.0.1', cert: pki.cert, key: pki.key, alpn: ['test'], ...options })
  server.on('connection', (conn) => {
    conn.on('stream', async (stream) => {
      if (stream.direction === 'bidi') {
        stream.on('error', () => {})
        stream.pipe(stream)
      } else {
        const chunks = []
        for await (const c of stream) chunks.push(c)
        const out = await conn.openUnidirectionalStream()
        out.end(Buffer.concat(chunks))
      }
    })
    conn.on('datagram', (d) => {
      try {
        conn.sendDatagram(d)
      } catch {}
    })
  })
  return server
}

export function dial(server, options = {}) {
  return quic.connect(`127.0.0.1:${server.address.port}`, { alpn: ['test'], ca: pki.ca, servername: 'localhost', ...options })
}

/** Reads a stream to its end without destroying it (a `for await` loop would destroy the
 *  Duplex at the end, as for any Node stream, and so reset its writable side). */
export function readAll(stream) {
  return new Promise((resolve, reject) => {
    const chunks = []
    stream.on('data', (c) => chunks.push(c))
    stream.once('end', () => resolve(Buffer.concat(chunks)))
    stream.once('error', reject)
  })
}

export function withTimeout(promise, ms, what) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    }),
  ])
}
