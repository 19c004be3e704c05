'use strict'
// Interop peers (other implementations the tests run against) are installed by the
// project's own scripts into a cache outside the clone, one folder per peer and version,
// so a fresh clone reuses them and a version bump installs next to the old one.
//
//   root: $GHOSTKIT_PEERS_DIR, else $XDG_CACHE_HOME/ghostkit-peers, else ~/.cache/ghostkit-peers
//   peer: <root>/<name>-<version>/, complete once it holds `.complete`
//
// node --test runs test files in parallel processes, so an install holds a lock file
// (`<name>-<version>.lock`, holding the installer's pid): the others wait, then find the
// peer complete. A peer that cannot be installed throws: tests fail loudly, never skip.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const sleeper = new Int32Array(new SharedArrayBuffer(4))

function peersRoot() {
  if (process.env.GHOSTKIT_PEERS_DIR) return path.resolve(process.env.GHOSTKIT_PEERS_DIR)
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(cache, 'ghostkit-peers')
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/** Runs `fn()` holding `<peers root>/<key>.lock`; waits (synchronously) while another live process holds it. */
function withLock(key, fn, log) {
  const lock = path.join(peersRoot(), `${key}.lock`)
  let fd
  let said = false
  for (;;) {
    try {
      fd = fs.openSync(lock, 'wx')
      fs.writeSync(fd, String(process.pid))
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      let holder = NaN
      try {
        holder = Number(fs.readFileSync(lock, 'utf8'))
      } catch {}
      // A lock left by a process that died is stale (an empty file may be mid-write).
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        fs.rmSync(lock, { force: true })
        continue
      }
      if (!said) {
        log(`ghostkit: waiting for another process installing peer ${key}`)
        said = true
      }
      Atomics.wait(sleeper, 0, 0, 500)
    }
  }
  try {
    return fn()
  } finally {
    fs.closeSync(fd)
    fs.rmSync(lock, { force: true })
  }
}

/**
 * Returns the folder of `<name>-<version>`, running `install(tmpDir)` first when it is
 * not complete. `install` fills a temporary folder, which is then renamed into place,
 * so an interrupted install never leaves a half-filled peer behind.
 */
function ensurePeer(name, version, install, { log = console.error } = {}) {
  const key = `${name}-${version}`
  const dir = path.join(peersRoot(), key)
  const complete = () => fs.existsSync(path.join(dir, '.complete'))
  if (complete()) return dir
  fs.mkdirSync(peersRoot(), { recursive: true })
  return withLock(
    key,
    () => {
      if (complete()) return dir
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
    },
    log,
  )
}

module.exports = { ensurePeer, peersRoot }
