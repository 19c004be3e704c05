'use strict'
// A cross-process lock around a peer install: node --test runs test files in parallel
// processes, and two of them must not build the same peer at once (the second waits
// and then finds it installed).
const fs = require('node:fs')
const path = require('node:path')
const { peersRoot } = require('./cache.js')

const sleeper = new Int32Array(new SharedArrayBuffer(4))

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/** Runs `fn()` holding `<peers root>/<name>.lock`; waits (synchronously) while another process holds it. */
function withPeerLock(name, fn) {
  fs.mkdirSync(peersRoot(), { recursive: true })
  const lock = path.join(peersRoot(), `${name}.lock`)
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
      // a lock left by a process that died is stale (an empty file may be mid-write)
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        fs.rmSync(lock, { force: true })
        continue
      }
      if (!said) {
        console.error(`ghostkit: waiting for another process installing peer ${name}`)
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

module.exports = { withPeerLock }
