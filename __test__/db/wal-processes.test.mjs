// Two processes on one encrypted WAL database for a few seconds, one writing and one
// reading (and reopening the file now and then): neither ever sees SQLITE_BUSY or any
// other error, the reader only ever sees whole transactions and a table that never
// shrinks, and afterwards every batch the writer reported as committed is there.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const db = require('../../lib/db.js')

const WORKER = fileURLToPath(new URL('./peers/wal-worker.mjs', import.meta.url))
const DURATION_MS = 4000

function runWorker(role, file, keyHex) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, role, file, keyHex, String(DURATION_MS)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c))
    const watchdog = setTimeout(() => child.kill('SIGKILL'), DURATION_MS + 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(watchdog)
      const lines = stdout.split('\n').filter(Boolean)
      const failure = lines.find((l) => l.startsWith('error '))
      if (failure || code !== 0) {
        reject(new Error(`${role} failed (code ${code}, signal ${signal}): ${failure ?? ''} ${stderr}`))
        return
      }
      resolve(lines)
    })
  })
}

test('one writer and one reader process on an encrypted WAL database: no SQLITE_BUSY, no lost row', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ghostkit-wal-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'shared.db')
  const key = randomBytes(32)
  const setup = db.open(file, { rawKey: key })
  setup.exec('CREATE TABLE batch_row (batch INTEGER NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (batch, seq))')
  assert.equal(String(setup.pragma('journal_mode', { simple: true })).toLowerCase(), 'wal')
  setup.close()

  const [writerLines, readerLines] = await Promise.all([
    runWorker('writer', file, key.toString('hex')),
    runWorker('reader', file, key.toString('hex')),
  ])

  const committed = writerLines.filter((l) => l.startsWith('c ')).map((l) => Number(l.slice(2)))
  const done = writerLines.find((l) => l.startsWith('done '))
  assert.ok(done, 'writer did not finish')
  assert.ok(committed.length >= 20, `writer committed only ${committed.length} batches`)
  assert.deepEqual(committed, Array.from({ length: committed.length }, (_, i) => i + 1))

  const [, reads, lastSeen, reopens] = readerLines.find((l) => l.startsWith('done ')).split(' ').map(Number)
  assert.ok(reads >= 20, `reader made only ${reads} reads`)
  assert.ok(reopens >= 1, 'reader never reopened the database')
  // The reader saw the writer's progress while it ran, not just the empty or the final table.
  assert.ok(lastSeen > 0, 'reader never saw a committed row')

  const check = db.open(file, { rawKey: key })
  try {
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok')
    const last = committed.at(-1)
    const row = check.prepare('SELECT count(*) AS n, max(batch) AS maxBatch FROM batch_row').get()
    assert.deepEqual(row, { n: last * 10, maxBatch: last })
    assert.ok(lastSeen <= row.n)
    const sample = check.prepare('SELECT value FROM batch_row WHERE batch = ? AND seq = ?').pluck()
    for (const b of [1, Math.ceil(last / 2), last]) assert.equal(sample.get(b, 9), `batch ${b} row 9`)
  } finally {
    check.close()
  }
})
