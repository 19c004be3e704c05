// A QUIC echo server and a client on loopback with ghostkit/quic.
// Run: node --experimental-strip-types examples/quic.ts (Node >= 22.6), or compile with tsc.
import { quic } from 'ghostkit'
import type { Connection, QuicStream } from 'ghostkit/quic'
import { pipeline } from 'node:stream/promises'

async function main(): Promise<void> {
  // A development CA and a leaf for localhost / 127.0.0.1 / ::1 (no openssl needed).
  const { ca, cert, key } = quic.generateCertificate()

  await using server = await quic.listen({ host: '127.0.0.1', port: 0, cert, key, alpn: ['echo'], earlyData: true })
  server.on('connection', (conn: Connection) => {
    conn.on('stream', (stream: QuicStream) => {
      pipeline(stream, stream).catch(() => {})
    })
    conn.on('datagram', (data: Buffer) => conn.sendDatagram(data))
  })

  const address = `127.0.0.1:${server.address.port}`
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), 5000)
  await using conn = await quic.connect(address, { alpn: ['echo'], ca, signal: controller.signal })
  clearTimeout(timer)
  console.log('connected with', conn.alpnProtocol, 'to', conn.remoteAddress)

  const stream = await conn.openBidirectionalStream()
  stream.end('hello over QUIC')
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  console.log('echoed:', Buffer.concat(chunks).toString())

  conn.once('datagram', (data: Buffer) => console.log('datagram back:', data.toString()))
  conn.sendDatagram('ping')

  const stats = conn.stats()
  console.log(`rtt ${stats.rtt.toFixed(2)} ms, sent ${stats.bytesSent} bytes`)
  await conn.close(0, 'done')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
