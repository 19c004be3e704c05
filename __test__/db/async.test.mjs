// db.async: statements on the database's own thread, AbortSignal → sqlite3_interrupt,
// and databases used from worker threads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'

const require = createRequire(import.meta.url)
const { Database } = require('../../lib/db.js')

const dir = mkdtempSync(path.join(os.tmpdir(), 'zqlite-async-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))
const file = (name) => path.join(dir, name)

test('async run/get/all/exec give the same results as the sync API', async () => {
  const d = new Database(file('a.db'), { key: 'k' })
  await d.async.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)')
  const r = await d.async.run('INSERT INTO t (v, b) VALUES (?, ?)', ['one', Buffer.from('xy')])
  assert.deepEqual(r, { changes: 1, lastInsertRowid: 1 })
  await d.async.run('INSERT INTO t (v) VALUES (@v)', { v: 'two' })
  assert.deepEqual(await d.async.get('SELECT v, b FROM t WHERE id = ?', [1]), { v: 'one', b: Buffer.from('xy') })
  assert.equal(await d.async.get('SELECT v FROM t WHERE id = 99'), undefined)
  assert.deepEqual(await d.async.all('SELECT id, v FROM t ORDER BY id'), d.prepare('SELECT id, v FROM t ORDER BY id').all())
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => d.async.run('INSERT INTO t (v) VALUES (?)', [`n${i}`])))
  assert.equal(many.length, 50)
  assert.equal(d.prepare('SELECT count(*) FROM t').pluck().get(), 52)
  await assert.rejects(d.async.run('INSERT INTO t (id) VALUES (1)'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
  await assert.rejects(d.async.all('SELEC'), { code: 'SQLITE_ERROR' })
  d.close()
  await assert.rejects(d.async.all('SELECT 1'), { code: 'ERR_ZQLITE_CLOSED' })
})

test('an AbortSignal interrupts a long query', async () => {
  const d = new Database(':memory:')
  const controller = new AbortController()
  const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c'
  const started = d.async.get(slow, undefined, { signal: controller.signal })
  setTimeout(() => controller.abort(), 50)
  await assert.rejects(started, { name: 'AbortError' })
  // The connection is usable afterwards, and an already-aborted signal rejects at once.
  assert.deepEqual(await d.async.get('SELECT 7 AS x'), { x: 7 })
  await assert.rejects(d.async.get('SELECT 1', undefined, { signal: AbortSignal.abort() }), { name: 'AbortError' })
  d.close()
})

test('databases work in worker threads', async () => {
  const dbPath = file('workers.db')
  const setup = new Database(dbPath, { key: 'shared' })
  setup.exec('CREATE TABLE t (worker INTEGER, i INTEGER)')
  setup.close()
  const code = `
    const { workerData, parentPort } = require('node:worker_threads')
    const { Database } = require(workerData.lib)
    const d = new Database(workerData.path, { key: 'shared' })
    const ins = d.prepare('INSERT INTO t VALUES (?, ?)')
    d.transaction(() => { for (let i = 0; i < 100; i++) ins.run(workerData.id, i) }).immediate()
    d.async.get('SELECT count(*) AS n FROM t WHERE worker = ?', [workerData.id]).then((row) => {
      d.close()
      parentPort.postMessage(row.n)
    })
  `
  const lib = path.resolve('lib/db.js')
  const results = await Promise.all(
    [1, 2, 3, 4].map(
      (id) =>
        new Promise((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { lib, path: dbPath, id } })
          w.once('message', resolve)
          w.once('error', reject)
        }),
    ),
  )
  assert.deepEqual(results, [100, 100, 100, 100])
  const d = new Database(dbPath, { key: 'shared' })
  assert.equal(d.prepare('SELECT count(*) FROM t').pluck().get(), 400)
  d.close()
})

test('more calls than the queue holds all complete; close() rejects queued calls and interrupts the running one', async () => {
  const d = new Database(':memory:')
  await d.async.exec('CREATE TABLE t (x INTEGER)')
  const many = await Promise.all(Array.from({ length: 600 }, (_, i) => d.async.run('INSERT INTO t VALUES (?)', [i])))
  assert.equal(many.length, 600)
  assert.equal(d.prepare('SELECT count(*) FROM t').pluck().get(), 600)
  const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c'
  const running = d.async.get(slow)
  const queued = d.async.get('SELECT 1 AS x')
  await new Promise((resolve) => setTimeout(resolve, 50))
  d.close()
  await assert.rejects(running, { code: 'SQLITE_INTERRUPT' })
  await assert.rejects(queued, { code: 'ERR_ZQLITE_CLOSED' })
})
