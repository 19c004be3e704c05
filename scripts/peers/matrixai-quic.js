'use strict'
// @matrixai/quic (QUIC on Cloudflare's quiche through napi, prebuilt inside the package)
// as an interop peer and speed baseline. Installed with npm into the peers cache (see
// cache.js), never into the project's node_modules, so users of ghostkit never download it.
//
//   const { matrixaiQuic } = require('./scripts/peers/matrixai-quic.js')
//   const { entry } = matrixaiQuic()
//   // the package is ESM only: import it by file URL
//   const { QUICClient, QUICServer } = await import(pathToFileURL(entry).href)
//
// A peer that cannot be installed throws: the tests that need it fail loudly.
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { pathToFileURL } = require('node:url')
const { ensurePeer } = require('./cache.js')

const MATRIXAI_QUIC_VERSION = '2.0.9'

/** Runs `npm install --prefix <dir> --no-save <specs…>`; throws with npm's output on failure. */
function npmInstall(dir, specs) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund',
    '--no-package-lock', '--include=optional', '--loglevel=error', ...specs], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (result.error) throw new Error(`npm install ${specs.join(' ')}: ${result.error.message}`)
  if (result.status !== 0) {
    throw new Error(`npm install ${specs.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`)
  }
}

/**
 * Installs @matrixai/quic once and returns `nodePath` (the node_modules folder holding it),
 * `moduleDir` (the package folder), `entry` (its ESM main file, to `import()` by file URL),
 * `version`.
 */
function matrixaiQuic() {
  const dir = ensurePeer('matrixai-quic', MATRIXAI_QUIC_VERSION, (tmp) => {
    npmInstall(tmp, [`@matrixai/quic@${MATRIXAI_QUIC_VERSION}`])
    // Prove the package and its prebuilt native part load before it is marked complete.
    const entry = path.join(tmp, 'node_modules', '@matrixai', 'quic', 'dist', 'index.js')
    const check = spawnSync(process.execPath, ['--input-type=module', '-e',
      `const q = await import(${JSON.stringify(pathToFileURL(entry).href)}); if (typeof q.QUICServer !== "function" || typeof q.QUICClient !== "function") throw new Error("no QUICServer/QUICClient export")`],
    { encoding: 'utf8' })
    if (check.status !== 0) throw new Error(`@matrixai/quic does not load: ${check.stderr}`)
  })
  const nodePath = path.join(dir, 'node_modules')
  const moduleDir = path.join(nodePath, '@matrixai', 'quic')
  return { nodePath, moduleDir, entry: path.join(moduleDir, 'dist', 'index.js'), version: MATRIXAI_QUIC_VERSION }
}

module.exports = { matrixaiQuic, npmInstall, MATRIXAI_QUIC_VERSION }

if (require.main === module) console.log(JSON.stringify(matrixaiQuic()))
