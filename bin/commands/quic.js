'use strict'
const fs = require('node:fs')
const { UsageError, RuntimeError, describeIoError } = require('../lib/cli.js')

function readPem(file, what) {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new RuntimeError(`${what}: ${describeIoError(err, file)}`)
  }
}

function port(text) {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0..65535, not '${text}'`)
  return n
}

function alpnList(values) {
  return values.length ? values : ['ghostkit-echo']
}

/** Runs until SIGINT/SIGTERM, then closes the endpoint. */
async function echoServer(quic, values) {
  let tls
  if (values.cert || values.key) {
    if (!values.cert || !values.key) throw new UsageError('--cert and --key go together')
    tls = { cert: readPem(values.cert, '--cert'), key: readPem(values.key, '--key') }
  } else {
    const pki = quic.generateCertificate()
    tls = { cert: pki.cert, key: pki.key }
    if (values['ca-out']) fs.writeFileSync(values['ca-out'], pki.ca)
  }
  const server = await quic.listen({ host: values.host ?? '127.0.0.1', port: port(values.port ?? '4433'), alpn: alpnList(values.alpn), ...tls })
  process.stdout.write(`${JSON.stringify({ event: 'listening', host: server.address.address, port: server.address.port })}\n`)
  server.on('connection', (conn) => {
    conn.on('stream', (stream) => {
      stream.on('error', () => {})
      if (stream.direction === 'bidi') stream.pipe(stream)
      else stream.resume()
    })
    conn.on('datagram', (data) => {
      try {
        conn.sendDatagram(data)
      } catch {}
    })
  })
  await new Promise((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await server.close()
  return 0
}

/** Sends standard input (or --message) on one bidirectional stream and prints the reply. */
async function connect(quic, address, values) {
  const options = { alpn: alpnList(values.alpn) }
  if (values.ca) options.ca = readPem(values.ca, '--ca')
  if (values.servername) options.servername = values.servername
  if (values.insecure) options.rejectUnauthorized = false
  let conn
  try {
    conn = await quic.connect(address, options)
  } catch (err) {
    throw new RuntimeError(`cannot connect to ${address}: ${err.message} (${err.code})`)
  }
  try {
    const stream = await conn.openBidirectionalStream()
    const reply = (async () => {
      for await (const chunk of stream) process.stdout.write(chunk)
    })()
    if (values.message !== undefined) stream.end(values.message)
    else process.stdin.pipe(stream)
    await reply
  } finally {
    await conn.close()
  }
  return 0
}

module.exports = {
  summary: 'QUIC echo server and client (ghostkit/quic)',
  usage: `Usage: ghostkit quic echo-server [--host IP] [--port N] [--cert PEM --key PEM | --ca-out FILE] [--alpn P]…
       ghostkit quic connect <host:port> [--ca PEM] [--servername NAME] [--insecure] [--alpn P]… [--message TEXT]

echo-server  serves QUIC on --host (default 127.0.0.1) and --port (default 4433; 0 picks one):
             every bidirectional stream is echoed, datagrams are sent back. Without
             --cert/--key it makes a development CA and leaf; --ca-out writes the CA for clients.
             Prints {"event":"listening","host","port"}; stops on Ctrl-C.
connect      opens one bidirectional stream, sends standard input (or --message), ends
             it, and prints what comes back until the server ends the stream.

Options:
  --alpn P        ALPN protocol (repeatable; default ghostkit-echo)
  -h, --help      show this help`,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'ca-out': { type: 'string' },
    ca: { type: 'string' },
    servername: { type: 'string' },
    insecure: { type: 'boolean' },
    alpn: { type: 'string', multiple: true, default: [] },
    message: { type: 'string' },
  },

  async run({ values, positionals }) {
    const [sub, ...rest] = positionals
    const quic = require('../../lib/quic.js')
    if (sub === 'echo-server') {
      if (rest.length) throw new UsageError('echo-server takes no positional arguments')
      return echoServer(quic, values)
    }
    if (sub === 'connect') {
      if (rest.length !== 1) throw new UsageError('connect takes one address (host:port)')
      return connect(quic, rest[0], values)
    }
    throw new UsageError(`unknown quic command '${sub ?? ''}' (expected echo-server or connect)`)
  },
}
