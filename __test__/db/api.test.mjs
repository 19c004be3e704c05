// The better-sqlite3-shaped surface of ghostkit/db: statements, parameters, modes,
// transactions, pragmas, user functions, backup, serialize, safe integers, errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'

const require = createRequire(import.meta.url)
const db = require('../../lib/db.js')
const { Database, SqliteError, ZqliteError } = db

const dir = mkdtempSync(path.join(os.tmpdir(), 'zqlite-api-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))
const file = (name) => path.join(dir, name)

test('prepare/run/get/all with positional and named parameters', () => {
  const d = new Database(':memory:')
  d.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)')
  const insert = d.prepare('INSERT INTO t (name, score, data) VALUES (?, ?, ?)')
  assert.deepEqual(insert.run('alice', 1.5, Buffer.from([1, 2, 3])), { changes: 1, lastInsertRowid: 1 })
  assert.deepEqual(insert.run(['bob', 2, null]), { changes: 1, lastInsertRowid: 2 })
  d.prepare('INSERT INTO t (name, score) VALUES (@name, :score)').run({ name: 'carol', score: 3 })
  d.prepare('INSERT INTO t (name, score) VALUES ($name, $score)').run({ name: 'dave', score: -4.25 })
  const row = d.prepare('SELECT * FROM t WHERE id = ?').get(1)
  assert.deepEqual(row, { id: 1, name: 'alice', score: 1.5, data: Buffer.from([1, 2, 3]) })
  assert.ok(Buffer.isBuffer(row.data))
  assert.equal(d.prepare('SELECT * FROM t WHERE id = ?').get(99), undefined)
  const all = d.prepare('SELECT id, name FROM t ORDER BY id').all()
  assert.deepEqual(all.map((r) => r.name), ['alice', 'bob', 'carol', 'dave'])
  assert.deepEqual(d.prepare('SELECT name FROM t WHERE score > @min ORDER BY id').pluck().all({ min: 1.6 }), ['bob', 'carol'])
  assert.deepEqual(d.prepare('SELECT id, name FROM t WHERE id = 2').raw().get(), [2, 'bob'])
  d.close()
})

test('iterate, expand, columns, bind, reader/readonly', () => {
  const d = new Database(':memory:')
  d.exec('CREATE TABLE a (x INTEGER); CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1),(2),(3); INSERT INTO b VALUES (10)')
  const stmt = d.prepare('SELECT x FROM a ORDER BY x')
  const seen = []
  for (const row of stmt.iterate()) {
    seen.push(row.x)
    assert.equal(stmt.busy, true)
    assert.throws(() => stmt.all(), { code: 'ERR_ZQLITE_BUSY_STATEMENT' })
    if (row.x === 2) break
  }
  assert.deepEqual(seen, [1, 2])
  assert.equal(stmt.busy, false)
  assert.deepEqual([...stmt.iterate()].map((r) => r.x), [1, 2, 3])
  const joined = d.prepare('SELECT a.x, b.x FROM a, b WHERE a.x = 1').expand().get()
  assert.deepEqual(joined, { a: { x: 1 }, b: { x: 10 } })
  const cols = d.prepare('SELECT x AS y FROM a').columns()
  assert.deepEqual(cols, [{ name: 'y', column: 'x', table: 'a', database: 'main', type: 'INTEGER' }])
  const bound = d.prepare('SELECT x FROM a WHERE x > ?').pluck().bind(1)
  assert.deepEqual(bound.all(), [2, 3])
  assert.throws(() => bound.all(2), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.equal(stmt.reader, true)
  assert.equal(stmt.readonly, true)
  const ins = d.prepare('INSERT INTO a VALUES (4)')
  assert.equal(ins.reader, false)
  assert.equal(ins.readonly, false)
  assert.throws(() => ins.get(), { code: 'ERR_ZQLITE_INVALID_ARG' })
  d.close()
})

test('transactions: commit, rollback on throw, nested savepoints, immediate/exclusive', () => {
  const d = new Database(file('tx.db'))
  d.exec('CREATE TABLE t (x INTEGER)')
  const insert = d.prepare('INSERT INTO t VALUES (?)')
  const many = d.transaction((xs) => {
    for (const x of xs) insert.run(x)
    return xs.length
  })
  assert.equal(many([1, 2, 3]), 3)
  assert.throws(
    () =>
      many.immediate.call(null, [4, 5]) &&
      d.transaction(() => {
        insert.run(6)
        throw new Error('boom')
      })(),
    /boom/,
  )
  const count = () => d.prepare('SELECT count(*) AS n FROM t').get().n
  assert.equal(count(), 5)
  const outer = d.transaction(() => {
    insert.run(7)
    try {
      d.transaction(() => {
        insert.run(8)
        throw new Error('inner')
      })()
    } catch {}
    assert.equal(d.inTransaction, true)
  })
  outer.exclusive()
  assert.equal(count(), 6)
  assert.deepEqual(d.prepare('SELECT x FROM t WHERE x > 5').pluck().all(), [7])
  assert.equal(d.inTransaction, false)
  assert.equal(typeof many.deferred, 'function')
  d.close()
})

test('WAL by default, pragma simple and rows, busy timeout set', () => {
  const d = new Database(file('wal.db'))
  assert.equal(d.pragma('journal_mode', { simple: true }), 'wal')
  assert.equal(d.pragma('busy_timeout', { simple: true }), 5000)
  assert.deepEqual(d.pragma('journal_mode'), [{ journal_mode: 'wal' }])
  d.close()
  const e = new Database(file('delete.db'), { journalMode: 'delete', timeout: 100 })
  assert.equal(e.pragma('journal_mode', { simple: true }), 'delete')
  assert.equal(e.pragma('busy_timeout', { simple: true }), 100)
  e.close()
})

test('user functions, safe integers and BigInt', () => {
  const d = new Database(':memory:')
  d.function('add2', { deterministic: true }, (a, b) => a + b)
  d.function('joinall', { varargs: true }, (...xs) => xs.join('-'))
  assert.equal(d.prepare('SELECT add2(2, 3) AS v').pluck().get(), 5)
  assert.equal(d.prepare("SELECT joinall('a', 1, 'b') AS v").pluck().get(), 'a-1-b')
  d.function('fails', () => {
    throw new Error('nope')
  })
  assert.throws(() => d.prepare('SELECT fails()').get())
  d.exec('CREATE TABLE n (v INTEGER)')
  d.prepare('INSERT INTO n VALUES (?)').run(9007199254740993n)
  assert.equal(d.prepare('SELECT v FROM n').pluck().safeIntegers().get(), 9007199254740993n)
  const { lastInsertRowid } = d.prepare('INSERT INTO n VALUES (1)').safeIntegers().run()
  assert.equal(lastInsertRowid, 2n)
  d.defaultSafeIntegers(true)
  assert.equal(typeof d.prepare('SELECT 1 AS v').pluck().get(), 'bigint')
  assert.throws(() => d.prepare('SELECT ?').get(2n ** 70n), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.throws(() => d.prepare('SELECT ?').get({}), { code: 'ERR_ZQLITE_INVALID_ARG' })
  d.close()
})

test('SqliteError carries the extended result code', () => {
  const d = new Database(':memory:')
  d.exec('CREATE TABLE u (k TEXT UNIQUE, n TEXT NOT NULL)')
  d.prepare('INSERT INTO u VALUES (?, ?)').run('a', 'x')
  assert.throws(() => d.prepare('INSERT INTO u VALUES (?, ?)').run('a', 'y'), (e) => {
    assert.ok(e instanceof SqliteError)
    assert.equal(e.code, 'SQLITE_CONSTRAINT_UNIQUE')
    assert.equal(e.errno, 2067)
    return true
  })
  assert.throws(() => d.prepare('INSERT INTO u VALUES (?, NULL)').run('b'), { code: 'SQLITE_CONSTRAINT_NOTNULL' })
  assert.throws(() => d.prepare('SELEC nonsense'), { code: 'SQLITE_ERROR' })
  assert.throws(() => d.prepare('SELECT 1; SELECT 2'), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.throws(() => d.prepare('SELECT ?, ?').get(1), /Too few/)
  assert.throws(() => d.prepare('SELECT ?').get(1, 2), /Too many/)
  assert.throws(() => d.prepare('SELECT @a').get({ b: 1 }), /Missing named parameter/)
  d.close()
  assert.throws(() => d.prepare('SELECT 1'), (e) => e instanceof ZqliteError && e.code === 'ERR_ZQLITE_CLOSED')
  assert.equal(d.open, false)
  d.close()
})

test('bad arguments throw typed errors', () => {
  assert.throws(() => new Database(42), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.throws(() => new Database(file('x.db'), { rawKey: Buffer.alloc(31) }), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.throws(() => new Database(file('x.db'), { key: 'a', rawKey: Buffer.alloc(32) }), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.throws(() => new Database(file('x.db'), { passphrase: 'a' }), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.throws(() => new Database(file('x.db'), { journalMode: 'bogus' }), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.throws(() => new Database(file('x.db'), { timeout: -1 }), { code: 'ERR_ZQLITE_INVALID_ARG' })
  assert.throws(() => new Database(file('missing.db'), { fileMustExist: true }), { code: 'SQLITE_CANTOPEN' })
})

test('serialize, backup with progress into an encrypted copy, Symbol.dispose', async () => {
  const key = 'backup passphrase'
  const src = new Database(file('src.db'), { key })
  src.exec('CREATE TABLE t (x BLOB)')
  const ins = src.prepare('INSERT INTO t VALUES (?)')
  src.transaction(() => {
    for (let i = 0; i < 300; i++) ins.run(Buffer.alloc(2000, i))
  })()
  // serialize() gives the decrypted image: a plain SQLite database with the same rows.
  const image = src.serialize()
  assert.ok(image.length >= 4096 * 70)
  assert.equal(image.subarray(0, 16).toString('latin1'), 'SQLite format 3\0')
  writeFileSync(file('image.db'), image)
  const plain = new Database(file('image.db'), { journalMode: 'delete' })
  assert.equal(plain.prepare('SELECT count(*) FROM t').pluck().get(), 300)
  plain.close()
  const calls = []
  const result = await src.backup(file('copy.db'), {
    progress(info) {
      calls.push(info)
      return 10
    },
  })
  assert.equal(result.remainingPages, 0)
  assert.ok(calls.length >= 2)
  src.close()
  const copy = new Database(file('copy.db'), { key })
  assert.equal(copy.prepare('SELECT count(*) FROM t').pluck().get(), 300)
  assert.deepEqual(copy.prepare('SELECT x FROM t WHERE rowid = 5').pluck().get(), Buffer.alloc(2000, 4))
  copy[Symbol.dispose]()
  assert.equal(copy.open, false)
  assert.throws(() => new Database(file('copy.db'), { key: 'other' }), { code: 'ERR_ZQLITE_BAD_KEY' })
})

test('SQL injection through bound parameters is stored as data', () => {
  const d = new Database(file('inject.db'), { key: 'k' })
  d.exec('CREATE TABLE users (name TEXT)')
  const evil = ["x'); DROP TABLE users; --", "' OR '1'='1", 'Robert"); DELETE FROM users; --', '\0 nul']
  const ins = d.prepare('INSERT INTO users VALUES (?)')
  for (const e of evil) ins.run(e)
  assert.deepEqual(d.prepare('SELECT name FROM users ORDER BY rowid').pluck().all(), evil)
  assert.equal(d.prepare('SELECT count(*) FROM users WHERE name = ?').pluck().get("' OR '1'='1"), 1)
  assert.equal(d.prepare('SELECT count(*) FROM users WHERE name = @n').pluck().get({ n: 'nobody' }), 0)
  d.close()
})

test('versions names the provider level', () => {
  const v = db.versions()
  assert.match(v.sqlite, /^3\.\d+\.\d+$/)
  assert.match(v.sqlcipher, /^4\./)
  assert.ok(['baseline', 'x86_64_v3', 'x86_64_v4'].includes(v.provider))
})
