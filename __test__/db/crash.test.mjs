// Crash safety: a child process inserting transactions into an encrypted WAL database is
// killed with SIGKILL at random moments, 20 times, on the same file. After every kill the
// file passes `PRAGMA integrity_check`, every transaction the child reported as committed
// is there with all its rows and the exact bytes it wrote, and no transaction is half
// there. At the end the SQLCipher 4.6.1 CLI checks every page's HMAC too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes, randomInt } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const db = require('../../lib/db.js')
const { runSql } = require('../../scripts/peers/sqlcipher-cli.js')

const WRITER = fileURLToPath(new URL('./peers/crash-writer.mjs', import.meta.url))
const KILLS = 20

/**
 * Starts the writer, kills it with SIGKILL after `delayMs` (counted from its first
 * committed transaction, or from spawn when `fromSpawn`), and resolves to the ids it
 * reported as committed.
 */
function runAndKill(file, keyHex, api, delayMs, fromSpawn) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, file, keyHex, api], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const committed = []
    let stdout = ''
    let stderr = ''
    let timer
    const arm = () => {
      if (!timer) timer = setTimeout(() => child.kill('SIGKILL'), delayMs)
    }
    if (fromSpawn) arm()
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      let nl
      while ((nl = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, nl)
        stdout = stdout.slice(nl + 1)
        if (/^\d+$/.test(line)) {
          committed.push(Number(line))
          arm()
        } else if (!line.startsWith('ready ')) {
          reject(new Error(`writer printed ${JSON.stringify(line)}`))
        }
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk) => (stderr += chunk))
    // A child that never commits would hang the test: a generous bound, not a timing check.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(watchdog)
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer exited by itself (code ${code}, signal ${signal}): ${stderr}`))
      } else if (!timer) {
        reject(new Error(`writer was killed before committing anything: ${stderr}`))
      } else {
        resolve(committed)
      }
    })
  })
}

/**
 * Checks the file after a crash: integrity, every reported transaction present, every
 * transaction whole (row count) and, for those with id > `digestFrom`, byte-exact.
 * Returns the highest transaction id in the file.
 */
function verify(file, key, reported, round, digestFrom) {
  const conn = db.open(file, { rawKey: key })
  try {
    assert.equal(conn.pragma('integrity_check', { simple: true }), 'ok', `round ${round}: integrity_check`)
    const txns = conn.prepare('SELECT id, rows, digest FROM txn ORDER BY id').all()
    const byId = new Map(txns.map((t) => [t.id, t]))
    for (const id of reported) assert.ok(byId.has(id), `round ${round}: committed transaction ${id} is missing`)
    // Every transaction present is whole (atomicity), none has rows without its txn row.
    const counts = new Map(conn.prepare('SELECT txn, count(*) AS n FROM item GROUP BY txn').raw().all())
    for (const t of txns) assert.equal(counts.get(t.id) ?? 0, t.rows, `round ${round}: transaction ${t.id} has ${counts.get(t.id) ?? 0} of ${t.rows} rows`)
    assert.equal(counts.size, txns.length, `round ${round}: rows of a transaction without its txn row`)
    // …and holds exactly the bytes written (no torn, stale or misdecrypted page).
    const items = conn.prepare('SELECT seq, payload FROM item WHERE txn = ? ORDER BY seq')
    for (const t of txns) {
      if (t.id <= digestFrom) continue
      const hash = createHash('sha256')
      items.all(t.id).forEach((r, i) => {
        assert.equal(r.seq, i)
        hash.update(r.payload)
      })
      assert.equal(hash.digest('hex'), t.digest, `round ${round}: transaction ${t.id} payload differs`)
    }
    return txns.at(-1)?.id ?? 0
  } finally {
    conn.close()
  }
}

test(`SIGKILL at random moments, ${KILLS} times: integrity ok, every committed transaction present`, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ghostkit-crash-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'crash.db')
  const key = randomBytes(32)
  const keyHex = key.toString('hex')
  const reported = []
  let lastId = 0
  for (let round = 1; round <= KILLS; round++) {
    // Alternate the sync and async APIs; most kills land while transactions stream, some
    // while the writer is still opening (and recovering) the file after the last kill.
    const api = round % 2 ? 'sync' : 'async'
    const fromSpawn = round % 5 === 0
    const delayMs = fromSpawn ? randomInt(5, 250) : randomInt(1, 400)
    reported.push(...(await runAndKill(file, keyHex, api, delayMs, fromSpawn)))
    // Transactions up to lastId were checked byte for byte already; recheck them all at the end.
    const id = verify(file, key, reported, round, round === KILLS ? 0 : lastId)
    assert.ok(id >= lastId, `round ${round}: the newest transaction went from ${lastId} back to ${id}`)
    lastId = id
  }
  assert.ok(reported.length > KILLS, `only ${reported.length} transactions were committed in ${KILLS} runs`)
  // The independent reader: every page's HMAC verifies and SQLite's own check passes.
  const cipherCheck = runSql(file, { rawKey: key }, 'PRAGMA cipher_integrity_check;').trim()
  assert.equal(cipherCheck, '', `cipher_integrity_check reported: ${cipherCheck}`)
  assert.equal(runSql(file, { rawKey: key }, 'PRAGMA integrity_check;').trim(), 'ok')
  assert.equal(Number(runSql(file, { rawKey: key }, 'SELECT max(id) FROM txn;').trim()), lastId)
})
