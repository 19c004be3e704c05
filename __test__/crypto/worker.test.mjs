// The addon loads in worker threads too (one instance per thread), and the lazily built
// signing tables are shared safely: several workers signing at once agree with the main thread.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

const require = createRequire(import.meta.url)
const crypto = require('../../lib/crypto.js')
const cryptoPath = require.resolve('../../lib/crypto.js')

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const crypto = require(workerData.cryptoPath)
const out = []
for (let i = 0; i < workerData.count; i++) {
  const secret = new Uint8Array(32).fill(i + 1)
  const digest = crypto.sha256(new Uint8Array([i, workerData.id]))
  out.push({
    secp: Buffer.from(crypto.secp256k1.sign(digest, secret, { format: 'recovered' })).toString('hex'),
    ed: Buffer.from(crypto.ed25519.sign(digest, secret)).toString('hex'),
  })
}
parentPort.postMessage(out)
`

function runWorker(id, count) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { cryptoPath, id, count } })
    worker.once('message', resolve)
    worker.once('error', reject)
  })
}

test('four workers sign concurrently and match the main thread', async () => {
  const count = 50
  const results = await Promise.all([0, 1, 2, 3].map((id) => runWorker(id, count)))
  for (const [id, signatures] of results.entries()) {
    assert.equal(signatures.length, count)
    for (let i = 0; i < count; i++) {
      const secret = new Uint8Array(32).fill(i + 1)
      const digest = crypto.sha256(new Uint8Array([i, id]))
      const secp = crypto.secp256k1.sign(digest, secret, { format: 'recovered' })
      assert.equal(signatures[i].secp, Buffer.from(secp).toString('hex'), `worker ${id} secp256k1 #${i}`)
      assert.equal(signatures[i].ed, Buffer.from(crypto.ed25519.sign(digest, secret)).toString('hex'), `worker ${id} ed25519 #${i}`)
    }
  }
})
