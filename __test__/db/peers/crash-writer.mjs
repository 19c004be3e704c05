// Child process of crash.test.mjs: inserts transactions into an encrypted database until
// it is killed. Each transaction writes one `txn` row (its id, row count and a SHA-256 of
// its payloads) and that many `item` rows. The id is written to stdout (a synchronous
// write to the pipe) only after COMMIT has returned, so every id the parent reads names
// a transaction that ghostkit reported as committed.
//
//   node crash-writer.mjs <file> <raw key hex> <sync|async>
import { createHash, randomBytes, randomInt } from 'node:crypto'
import { writeSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const db = require('../../../lib/db.js')

const [file, keyHex, api] = process.argv.slice(2)
if (!file || !/^[0-9a-f]{64}$/.test(keyHex ?? '') || !['sync', 'async'].includes(api)) {
  console.error('usage: crash-writer.mjs <file> <raw key hex> <sync|async>')
  process.exit(2)
}

// Random sizes from 1 byte to ~4 KiB: small rows share pages, large ones spill into overflow pages.
const payload = () => randomBytes(1 + randomInt(4000))

const report = (line) => writeSync(1, `${line}\n`)

const conn = db.open(file, { rawKey: Buffer.from(keyHex, 'hex') })
conn.exec(`
  CREATE TABLE IF NOT EXISTS txn (id INTEGER PRIMARY KEY, rows INTEGER NOT NULL, digest TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS item (txn INTEGER NOT NULL, seq INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (txn, seq));
`)
// A page cache far smaller than one transaction: SQLite spills uncommitted pages into the
// WAL mid-transaction, so a kill often lands while pages are being written, not only in JS.
conn.pragma('cache_size = 32')
let id = conn.prepare('SELECT coalesce(max(id), 0) AS id FROM txn').get().id + 1
report(`ready ${id}`)

function makeTransaction() {
  // Between 1 and 80 rows: some transactions fit in a page, others write hundreds of KiB.
  const rows = 1 + randomInt(80)
  const payloads = Array.from({ length: rows }, payload)
  const hash = createHash('sha256')
  for (const p of payloads) hash.update(p)
  return { rows, payloads, digest: hash.digest('hex') }
}

if (api === 'sync') {
  const insertTxn = conn.prepare('INSERT INTO txn (id, rows, digest) VALUES (?, ?, ?)')
  const insertItem = conn.prepare('INSERT INTO item (txn, seq, payload) VALUES (?, ?, ?)')
  const write = conn.transaction((t) => {
    insertTxn.run(t.id, t.rows, t.digest)
    t.payloads.forEach((p, seq) => insertItem.run(t.id, seq, p))
  })
  for (;;) {
    const t = { id, ...makeTransaction() }
    write(t)
    report(id)
    id++
  }
} else {
  // The promise API has no transaction helper: BEGIN/COMMIT go through it like any
  // statement, in order, on the database's own thread.
  for (;;) {
    const t = { id, ...makeTransaction() }
    await conn.async.exec('BEGIN IMMEDIATE')
    await conn.async.run('INSERT INTO txn (id, rows, digest) VALUES (?, ?, ?)', [t.id, t.rows, t.digest])
    for (const [seq, p] of t.payloads.entries()) await conn.async.run('INSERT INTO item (txn, seq, payload) VALUES (?, ?, ?)', [t.id, seq, p])
    await conn.async.exec('COMMIT')
    report(id)
    id++
  }
}
