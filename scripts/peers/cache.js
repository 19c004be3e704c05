'use strict'
// Interop peers (other implementations the tests run against) are installed by the
// project's own scripts into a cache outside the clone, one folder per peer and version,
// so a fresh clone reuses them and a version bump installs next to the old one.
//
//   root: $GHOSTKIT_PEERS_DIR, else $XDG_CACHE_HOME/ghostkit-peers, else ~/.cache/ghostkit-peers
//   peer: <root>/<name>-<version>/, complete once it holds `.complete`
//
// A peer that cannot be installed throws: tests fail loudly, they never skip.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

function peersRoot() {
  if (process.env.GHOSTKIT_PEERS_DIR) return path.resolve(process.env.GHOSTKIT_PEERS_DIR)
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(cache, 'ghostkit-peers')
}

/**
 * Returns the folder of `<name>-<version>`, running `install(tmpDir)` first when it is
 * not complete. `install` fills the temporary folder, which is then renamed into place,
 * so an interrupted install never leaves a half-filled peer behind.
 */
function ensurePeer(name, version, install, { log = console.error } = {}) {
  const dir = path.join(peersRoot(), `${name}-${version}`)
  if (fs.existsSync(path.join(dir, '.complete'))) return dir
  fs.mkdirSync(peersRoot(), { recursive: true })
  const tmp = fs.mkdtempSync(`${dir}.tmp-`)
  log(`ghostkit: installing peer ${name} ${version} into ${dir}`)
  try {
    install(tmp)
    fs.writeFileSync(path.join(tmp, '.complete'), `${new Date().toISOString()}\n`)
    fs.rmSync(dir, { recursive: true, force: true })
    fs.renameSync(tmp, dir)
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw new Error(`ghostkit: cannot install peer ${name} ${version}: ${error.message}`, { cause: error })
  }
  return dir
}

module.exports = { ensurePeer, peersRoot }
