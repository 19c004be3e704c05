// Command lines of the bench drivers (BENCH-PROTOCOL.md) for bench/quic.mjs: each entry
// installs its peer on first use (scripts/peers/*.js) and returns how to spawn its server
// and its client. Every command is [command, args, env] for child_process.spawn.
//
//   import { benchDrivers } from '../__test__/quic/peers/bench-drivers.mjs'
//   const { matrixai, deno } = benchDrivers()
//   const [cmd, args, env] = deno.server({ cert, key, alpn })   // files: PEM paths
//   const [cmd, args, env] = deno.client({ port, ca, alpn, bulk: 512 << 20, rtt: 10_000, handshakes: 200 })
//
// Servers print {"event":"listening","port"} and, when their stdin is closed,
// {"event":"cpu","user","system"}; clients print one {"event":"result",...} line.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = (name) => fileURLToPath(new URL(name, import.meta.url))

function clientArgs({ port, ca, alpn, host = '127.0.0.1', servername = 'localhost', bulk, rtt, handshakes, maxUdpPayload }) {
  return [
    '--host', host, '--port', String(port), '--ca', ca, '--alpn', alpn, '--servername', servername,
    ...(bulk ? ['--bulk', String(bulk)] : []),
    ...(rtt ? ['--rtt', String(rtt)] : []),
    ...(handshakes ? ['--handshakes', String(handshakes)] : []),
    ...(maxUdpPayload ? ['--max-udp-payload', String(maxUdpPayload)] : []),
  ]
}

function serverArgs({ cert, key, alpn, host = '127.0.0.1', port = 0, maxUdpPayload }) {
  return ['--host', host, '--port', String(port), '--cert', cert, '--key', key, '--alpn', alpn,
    ...(maxUdpPayload ? ['--max-udp-payload', String(maxUdpPayload)] : [])]
}

/** The @matrixai/quic and Deno bench drivers; throws if a peer cannot be installed. */
export function benchDrivers() {
  const { matrixaiQuic } = require('../../../scripts/peers/matrixai-quic.js')
  const { deno } = require('../../../scripts/peers/deno.js')
  const { entry, version: matrixaiVersion } = matrixaiQuic()
  const { binary, version: denoVersion } = deno()
  const matrixaiProgram = here('./matrixai_bench.mjs')
  const denoRun = ['run', '--unstable-net', '--allow-net', '--allow-read', '--no-prompt', here('./deno_bench.ts')]
  const denoEnv = { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }
  return {
    matrixai: {
      name: `@matrixai/quic ${matrixaiVersion}`,
      server: (o) => [process.execPath, [matrixaiProgram, 'server', '--entry', entry, ...serverArgs(o)], process.env],
      client: (o) => [process.execPath, [matrixaiProgram, 'client', '--entry', entry, ...clientArgs(o)], process.env],
    },
    deno: {
      name: `Deno ${denoVersion}`,
      // Deno's driver has no --max-udp-payload: quinn discovers the path MTU itself.
      server: (o) => [binary, [...denoRun, 'server', ...serverArgs({ ...o, maxUdpPayload: undefined })], denoEnv],
      client: (o) => [binary, [...denoRun, 'client', ...clientArgs({ ...o, maxUdpPayload: undefined })], denoEnv],
    },
  }
}
