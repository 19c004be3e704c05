'use strict'
const fs = require('node:fs')
const { UsageError, RuntimeError, loadCrypto, toHex, hashInput, describeIoError } = require('../lib/cli.js')

// CLI name → export of ghostkit/crypto.
const HASHES = {
  sha256: 'sha256',
  sha512: 'sha512',
  'sha3-256': 'sha3_256',
  'sha3-512': 'sha3_512',
  keccak256: 'keccak_256',
  blake3: 'blake3',
}

const PROGRESS_MIN_BYTES = 64 * 1024 * 1024
const PROGRESS_INTERVAL_MS = 100
const BAR_WIDTH = 30

// A progress bar on stderr (percent, MiB/s), redrawn at most every 100 ms, erased by done().
function progressBar(totalBytes) {
  const started = performance.now()
  let doneBytes = 0
  let lastDraw = 0
  const draw = () => {
    const fraction = Math.min(doneBytes / totalBytes, 1)
    const seconds = (performance.now() - started) / 1000
    const rate = seconds > 0 ? doneBytes / 2 ** 20 / seconds : 0
    const filled = Math.round(fraction * BAR_WIDTH)
    const bar = '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled)
    process.stderr.write(`\r[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${rate.toFixed(1)} MiB/s\x1b[K`)
  }
  return {
    advance(bytes) {
      doneBytes += bytes
      const now = performance.now()
      if (now - lastDraw >= PROGRESS_INTERVAL_MS) {
        lastDraw = now
        draw()
      }
    },
    done() {
      process.stderr.write('\r\x1b[K')
    },
  }
}

function fileSize(file) {
  if (file === '-') return undefined
  try {
    const st = fs.statSync(file)
    return st.isFile() ? st.size : undefined
  } catch (err) {
    throw new RuntimeError(describeIoError(err, file))
  }
}

module.exports = {
  summary: 'hash a file or standard input',
  usage: `Usage: ghostkit hash <${Object.keys(HASHES).join('|')}> [file|-]

Prints the hex digest of FILE, or of standard input when FILE is '-' or missing.
The input is streamed; on a terminal, files over 64 MiB show progress on stderr.

Options:
  -h, --help   show this help`,
  options: {},

  async run({ positionals }) {
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('hash takes an algorithm and at most one file')
    const [name, file = '-'] = positionals
    if (!Object.hasOwn(HASHES, name)) {
      throw new UsageError(`unknown hash '${name}' (expected ${Object.keys(HASHES).join(', ')})`)
    }
    const size = fileSize(file)
    const gk = loadCrypto()
    const progress = process.stderr.isTTY && size > PROGRESS_MIN_BYTES ? progressBar(size) : undefined
    let digest
    try {
      digest = await hashInput(gk[HASHES[name]], file, progress?.advance)
    } catch (err) {
      if (err.code && err.syscall) throw new RuntimeError(describeIoError(err, file))
      throw err
    } finally {
      progress?.done()
    }
    process.stdout.write(toHex(digest) + '\n')
    return 0
  },
}
