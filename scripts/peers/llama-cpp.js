'use strict'
// Peer: llama.cpp through llama-cpp-python, built from source with pip into the peers
// cache (scripts/peers/cache.js). It is the reference for token ids and logits in the
// llm tests and the speed anchor in bench/llm.mjs.
//
//   node scripts/peers/llama-cpp.js        install (5-20 min on 2 cores) and print the folder
//
// The build log stays in <peer>/build.log (and, while building or after a failed build,
// in <peers root>/llama-cpp-python-<version>.build.log).
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { ensurePeer, peersRoot } = require('./cache.js')

const VERSION = '0.3.36'

function python() {
  return process.env.GHOSTKIT_PYTHON || 'python3'
}

// llama.cpp's CMake options for this machine: an optimised build for the CPU it runs on
// (the cache lives on that machine), OpenMP threads like upstream's default, and none of
// the examples, tests or servers we do not use.
function cmakeArgs() {
  return [
    '-DCMAKE_BUILD_TYPE=Release',
    '-DGGML_NATIVE=ON',
    '-DGGML_OPENMP=ON',
    '-DGGML_CCACHE=OFF',
    '-DLLAMA_BUILD_TESTS=OFF',
    '-DLLAMA_BUILD_EXAMPLES=OFF',
    '-DLLAMA_BUILD_SERVER=OFF',
    '-DLLAMA_CURL=OFF',
  ].join(' ')
}

function install(tmp) {
  const site = path.join(tmp, 'site')
  const log = path.join(peersRoot(), `llama-cpp-python-${VERSION}.build.log`)
  const fd = fs.openSync(log, 'w')
  try {
    execFileSync(
      python(),
      [
        '-m', 'pip', 'install', '-v', '--no-cache-dir', '--target', site,
        '--no-binary', 'llama-cpp-python',
        `llama-cpp-python[server]==${VERSION}`,
      ],
      {
        stdio: ['ignore', fd, fd],
        env: {
          ...process.env,
          CMAKE_ARGS: cmakeArgs(),
          CMAKE_BUILD_PARALLEL_LEVEL: process.env.CMAKE_BUILD_PARALLEL_LEVEL || '2',
          PIP_DISABLE_PIP_VERSION_CHECK: '1',
        },
      },
    )
  } catch (error) {
    throw new Error(`pip install llama-cpp-python==${VERSION} failed (log: ${log}): ${error.message}`)
  } finally {
    fs.closeSync(fd)
  }
  fs.copyFileSync(log, path.join(tmp, 'build.log'))
  // Prove the build imports and can report its version before the peer is marked complete.
  const out = execFileSync(python(), ['-c', 'import llama_cpp, sys; sys.stdout.write(llama_cpp.__version__)'], {
    env: { ...process.env, PYTHONPATH: site },
    encoding: 'utf8',
  })
  if (out.trim() !== VERSION) throw new Error(`llama_cpp reports version ${out.trim()}, expected ${VERSION}`)
  fs.rmSync(log, { force: true })
}

/**
 * Installs llama-cpp-python (when it is not cached) and returns how to run it:
 * `{ dir, site, python, env, version }`, where `env` is process.env plus PYTHONPATH.
 * Throws when it cannot be installed: tests that need it fail, they never skip.
 */
function llamaCpp() {
  const dir = ensurePeer('llama-cpp-python', VERSION, install)
  const site = path.join(dir, 'site')
  const env = { ...process.env, PYTHONPATH: [site, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) }
  return { dir, site, python: python(), env, version: VERSION }
}

/**
 * Starts llama-cpp-python's OpenAI-compatible server (scripts/peers/llama-cpp-server.py)
 * on 127.0.0.1 with an OS-chosen port. Resolves to `{ baseURL, port, child, close() }`.
 * @param {{ model: string, apiKey?: string, chatFormat?: string, nCtx?: number, alias?: string }} o
 */
function startLlamaServer(o) {
  const { spawn } = require('node:child_process')
  const peer = llamaCpp()
  const args = [path.join(__dirname, 'llama-cpp-server.py'), o.model]
  if (o.apiKey) args.push('--api-key', o.apiKey)
  if (o.chatFormat) args.push('--chat-format', o.chatFormat)
  if (o.nCtx) args.push('--n-ctx', String(o.nCtx))
  if (o.alias) args.push('--alias', o.alias)
  const child = spawn(peer.python, args, { env: peer.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000)
  })
  const close = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl === -1) return
      child.stdout.off('data', onData)
      child.stdout.resume()
      const port = Number(out.slice(0, nl))
      if (!Number.isInteger(port) || port <= 0) {
        close().then(() => reject(new Error(`llama-cpp-server printed '${out.slice(0, nl)}' instead of a port`)))
        return
      }
      resolve({ baseURL: `http://127.0.0.1:${port}/v1`, port, child, close })
    }
    child.stdout.on('data', onData)
    child.once('exit', (code, signal) => reject(new Error(`llama-cpp-server exited (${code ?? signal}): ${stderr}`)))
    child.once('error', reject)
  })
}

module.exports = { llamaCpp, startLlamaServer, VERSION }

if (require.main === module) {
  const peer = llamaCpp()
  console.log(peer.dir)
}
