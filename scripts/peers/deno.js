'use strict'
// Deno (its `Deno.connectQuic` / `Deno.QuicEndpoint` are quinn-based) as an interop peer
// and speed baseline. The npm package `deno` ships the prebuilt runtime in a per-platform
// optional dependency (@deno/linux-x64-glibc, …); it is installed with npm into the peers
// cache (see cache.js), never into the project's node_modules.
//
//   const { deno } = require('./scripts/peers/deno.js')
//   const { binary } = deno()
//   spawn(binary, ['run', '--unstable-net', '--allow-net', '--allow-read', 'client.ts', ...])
//
// A peer that cannot be installed throws: the tests that need it fail loudly.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { ensurePeer } = require('./cache.js')
const { npmInstall } = require('./matrixai-quic.js')

const DENO_VERSION = '2.9.6'

/** The optional dependency that holds the binary for this platform, as the npm package names it. */
function platformPackage() {
  const key = `${process.platform}-${process.arch}`
  const names = {
    'linux-x64': '@deno/linux-x64-glibc',
    'linux-arm64': '@deno/linux-arm64-glibc',
    'darwin-x64': '@deno/darwin-x64',
    'darwin-arm64': '@deno/darwin-arm64',
    'win32-x64': '@deno/win32-x64',
    'win32-arm64': '@deno/win32-arm64',
  }
  const name = names[key]
  if (!name) throw new Error(`deno ${DENO_VERSION} has no npm build for ${key}`)
  return name
}

function binaryIn(dir) {
  return path.join(dir, 'node_modules', ...platformPackage().split('/'), process.platform === 'win32' ? 'deno.exe' : 'deno')
}

/** Installs deno once and returns `binary` (absolute path of the executable) and `version`. */
function deno() {
  const dir = ensurePeer('deno', DENO_VERSION, (tmp) => {
    // The platform package is named explicitly: the binary must be there even when npm
    // is configured to skip optional dependencies or install scripts.
    npmInstall(tmp, [`deno@${DENO_VERSION}`, `${platformPackage()}@${DENO_VERSION}`])
    const binary = binaryIn(tmp)
    if (!fs.existsSync(binary)) throw new Error(`no deno binary at ${binary}`)
    const check = spawnSync(binary, ['--version'], { encoding: 'utf8' })
    if (check.status !== 0 || !check.stdout.startsWith(`deno ${DENO_VERSION} `)) {
      throw new Error(`${binary} --version: ${check.error?.message ?? check.stdout + check.stderr}`)
    }
  })
  return { binary: binaryIn(dir), version: DENO_VERSION }
}

module.exports = { deno, DENO_VERSION }

if (require.main === module) console.log(JSON.stringify(deno()))
