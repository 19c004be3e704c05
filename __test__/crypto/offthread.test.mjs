// The slow KDFs must not block the event loop: while one runs, timers keep firing.
// (A behaviour check, not a speed check: it counts event-loop turns, not milliseconds.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const crypto = createRequire(import.meta.url)('../../lib/crypto.js')

async function turnsDuring(promise) {
  let turns = 0
  let done = false
  const spin = () => {
    if (done) return
    turns++
    setImmediate(spin)
  }
  setImmediate(spin)
  await promise
  done = true
  return turns
}

test('argon2id (64 MiB, t=3) leaves the event loop running', async () => {
  const salt = crypto.randomBytes(16)
  const password = new TextEncoder().encode('correct horse battery staple')
  const options = { t: 3, m: 64 * 1024, p: 1 }
  const turns = await turnsDuring(crypto.argon2id(password, salt, options))
  // A call that blocked the JS thread would leave at most one turn.
  assert.ok(turns > 10, `only ${turns} event-loop turns while argon2id ran`)
  assert.deepEqual(await crypto.argon2id(password, salt, options), crypto.argon2idSync(password, salt, options))
})

test('pbkdf2 (600,000 iterations) leaves the event loop running', async () => {
  const turns = await turnsDuring(crypto.pbkdf2('sha256', new Uint8Array(8), new Uint8Array(16), { c: 600_000, dkLen: 32 }))
  assert.ok(turns > 10, `only ${turns} event-loop turns while pbkdf2 ran`)
})
