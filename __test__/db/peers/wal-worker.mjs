// Child process of wal-processes.test.mjs: one writer or one reader on a shared encrypted
// WAL database for `durationMs`. Any error ends the process with `error <code> <message>`
// on stdout and exit code 1, so an SQLITE_BUSY that reaches the user fails the test.
//
//   node wal-worker.mjs writer <file> <raw key hex> <durationMs>
//     batch b (1, 2, 3, …) inserts rows (b, 0..9) in one transaction, alternating the sync
//     and async APIs and reopening the database every WRITER_REOPEN_EVERY batches; prints
//     `c <b>` after each COMMIT returns, `done <b>` at the end.
//   node wal-worker.mjs reader <file> <raw key hex> <durationMs>
//     reads the table again and again (sync and async, reopening the database every
//     READER_REOPEN_EVERY reads) and checks what it sees is a whole prefix of the writer's
//     batches that never shrinks; prints `done <reads> <last row count> <reopens>`.
import { writeSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const db = require('../../../lib/db.js')

const ROWS_PER_BATCH = 10
// Both processes close and reopen the file now and then: the last connection to close
// checkpoints and deletes the WAL while the other may be opening, the moment where
// locks are contended most and where SQLITE_BUSY would surface without a busy timeout.
const READER_REOPEN_EVERY = 10
const WRITER_REOPEN_EVERY = 25

const [role, file, keyHex, durationText] = process.argv.slice(2)
const durationMs = Number(durationText)
if (!['writer', 'reader'].includes(role) || !file || !/^[0-9a-f]{64}$/.test(keyHex ?? '') || !(durationMs > 0)) {
  console.error('usage: wal-worker.mjs <writer|reader> <file> <raw key hex> <durationMs>')
  process.exit(2)
}
const rawKey = Buffer.from(keyHex, 'hex')
const say = (line) => writeSync(1, `${line}\n`)
const deadline = Date.now() + durationMs

async function writer() {
  let conn
  let insert
  let writeBatch
  const reopen = () => {
    conn?.close()
    conn = db.open(file, { rawKey })
    insert = conn.prepare('INSERT INTO batch_row (batch, seq, value) VALUES (?, ?, ?)')
    writeBatch = conn.transaction((b) => {
      for (let seq = 0; seq < ROWS_PER_BATCH; seq++) insert.run(b, seq, `batch ${b} row ${seq}`)
    })
  }
  reopen()
  let b = 0
  while (Date.now() < deadline) {
    b++
    if (b % 2) {
      writeBatch(b)
    } else {
      await conn.async.exec('BEGIN IMMEDIATE')
      for (let seq = 0; seq < ROWS_PER_BATCH; seq++) {
        await conn.async.run('INSERT INTO batch_row (batch, seq, value) VALUES (?, ?, ?)', [b, seq, `batch ${b} row ${seq}`])
      }
      await conn.async.exec('COMMIT')
    }
    say(`c ${b}`)
    if (b % WRITER_REOPEN_EVERY === 0) reopen()
  }
  conn.close()
  say(`done ${b}`)
}

async function reader() {
  const sql = 'SELECT count(*) AS n, coalesce(max(batch), 0) AS maxBatch, count(DISTINCT batch) AS batches FROM batch_row'
  let conn = db.open(file, { rawKey })
  let reads = 0
  let reopens = 0
  let last = 0
  while (Date.now() < deadline) {
    const row = reads % 2 ? conn.prepare(sql).get() : await conn.async.get(sql)
    reads++
    // Whole transactions only, batches 1..maxBatch all there, never fewer than before.
    if (row.n !== row.maxBatch * ROWS_PER_BATCH || row.batches !== row.maxBatch || row.n < last) {
      throw Object.assign(new Error(`inconsistent read ${JSON.stringify(row)} after ${last} rows`), { code: 'TEST_INCONSISTENT' })
    }
    last = row.n
    if (reads % READER_REOPEN_EVERY === 0) {
      conn.close()
      conn = db.open(file, { rawKey })
      reopens++
    }
  }
  conn.close()
  say(`done ${reads} ${last} ${reopens}`)
}

try {
  await (role === 'writer' ? writer() : reader())
} catch (error) {
  say(`error ${error.code ?? 'NO_CODE'} ${String(error.message).replaceAll('\n', ' ')}`)
  process.exit(1)
}
