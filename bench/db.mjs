// ghostkit/db against better-sqlite3@12 (plain) and better-sqlite3-multiple-ciphers@12
// with cipher='sqlcipher' (encrypted, SQLCipher 4 settings), on better-sqlite3's own
// benchmark workload: table small(nul, integer, real, text, blob) with 10,000 rows,
// WAL, synchronous=NORMAL, cache_size=-16000; each operation reads or writes the columns
// (nul, integer, real, text) as better-sqlite3's default trials do:
//   get          SELECT … WHERE rowid = ?                         (.get())
//   all 100      SELECT … WHERE rowid >= ? LIMIT 100              (.all())
//   iterate 100  the same, walked with .iterate()
//   insert       INSERT … VALUES (@nul, @integer, @real, @text)   (.run())
//   100 inserts in a transaction                                  (db.transaction())
// ghostkit runs each case twice: its sync API, and its promise API (db.async, one call at
// a time; a transaction is BEGIN, 100 runs, COMMIT through it). `all 100 (raw arrays)`
// reads arrays instead of objects, to show what building row objects costs; the `no page
// cache` cases (cache_size = 0) read, check and decrypt pages on every query, to show
// what the cipher costs (with the 16 MB cache the whole table stays decrypted in memory).
// The anchors are built from source into the peers cache on first use (several minutes;
// `node scripts/peers/better-sqlite3.js` does it ahead of time).
//
//   node bench/db.mjs [--quick] [--filter <substring>]   (or: npm run bench -- db)

import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseBenchArgs, runBenchmark } from './harness.mjs'

const require = createRequire(import.meta.url)

export const TARGETS = { 'better-sqlite3': 1.0, 'multiple-ciphers': 1.0 }
/** Encrypted writes must beat multiple-ciphers by half again (BENCH.md). */
const ENCRYPTED_WRITE_TARGET = 1.5

const ROWS = 10_000
const COLUMNS = ['nul', 'integer', 'real', 'text']
const SEED_ROW = [null, 0x7fffffff, 1 / 3, 'this is the text', Buffer.from('this is the blob')]
const PRAGMAS = ['cache_size = -16000', 'journal_mode = WAL', 'synchronous = NORMAL']

const SELECT_ONE = `SELECT ${COLUMNS.join(', ')} FROM small WHERE rowid = ?`
const SELECT_100 = `SELECT ${COLUMNS.join(', ')} FROM small WHERE rowid >= ? LIMIT 100`
const INSERT = `INSERT INTO small (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`

/** Creates and fills `small` like better-sqlite3's benchmark/seed.js. */
function seed(conn) {
  conn.exec('CREATE TABLE small (nul, integer INTEGER, real REAL, text TEXT, blob BLOB)')
  const insert = conn.prepare('INSERT INTO small VALUES (?, ?, ?, ?, ?)')
  conn.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(...SEED_ROW)
  })()
}

/**
 * One library's connections: `read` on a seeded file, `write` on a copy emptied to one row
 * (better-sqlite3's benchmark.js does DELETE … WHERE rowid > 1 and VACUUM before writing).
 */
function openPair(dir, name, open) {
  const readFile = path.join(dir, `${name}-read.db`)
  const writeFile = path.join(dir, `${name}-write.db`)
  const seeding = open(readFile)
  seed(seeding)
  seeding.close()
  copyFileSync(readFile, writeFile)
  const read = open(readFile)
  const write = open(writeFile)
  write.exec('DELETE FROM small WHERE rowid > 1')
  write.exec('VACUUM')
  // A reader without a page cache (better-sqlite3's NO_CACHE=1 setting): every page a
  // query touches is read and, in an encrypted file, HMAC-checked and decrypted again.
  const uncached = open(readFile)
  for (const conn of [read, write, uncached]) for (const p of PRAGMAS) conn.pragma(p)
  uncached.pragma('cache_size = 0')
  return { read, write, uncached }
}

// The sync operations, identical for ghostkit and the better-sqlite3 family.
function syncOps({ read, write, uncached }) {
  const one = read.prepare(SELECT_ONE)
  const hundred = read.prepare(SELECT_100)
  const oneUncached = uncached.prepare(SELECT_ONE)
  const hundredUncached = uncached.prepare(SELECT_100)
  const hundredRaw = read.prepare(SELECT_100).raw(true)
  const insert = write.prepare(INSERT)
  const row = write.prepare(`SELECT ${COLUMNS.join(', ')} FROM small LIMIT 1`).get()
  const trx = write.transaction((r) => {
    for (let i = 0; i < 100; i++) insert.run(r)
  })
  let getId = -1
  let allId = -100
  let rawId = -100
  let iterId = -100
  let getUncachedId = -1
  let allUncachedId = -100
  return {
    // Rowids stride through the table so consecutive reads touch different leaf pages.
    getUncached: () => oneUncached.get(((getUncachedId += 97) % ROWS) + 1),
    allUncached: () => hundredUncached.all(((allUncachedId += 100) % ROWS) + 1),
    get: () => one.get((++getId % ROWS) + 1),
    all: () => hundred.all(((allId += 100) % ROWS) + 1),
    allRaw: () => hundredRaw.all(((rawId += 100) % ROWS) + 1),
    iterate: () => {
      let n = 0
      for (const r of hundred.iterate(((iterId += 100) % ROWS) + 1)) n += r.integer === 0x7fffffff ? 1 : 0
      return n
    },
    insert: () => insert.run(row).changes,
    transaction: () => trx(row),
  }
}

// The same operations through ghostkit's promise API (one call in flight at a time).
function asyncOps({ read, write }) {
  const row = write.prepare(`SELECT ${COLUMNS.join(', ')} FROM small LIMIT 1`).get()
  let getId = -1
  let allId = -100
  return {
    get: () => read.async.get(SELECT_ONE, [(++getId % ROWS) + 1]),
    all: () => read.async.all(SELECT_100, [((allId += 100) % ROWS) + 1]),
    insert: async () => (await write.async.run(INSERT, row)).changes,
    transaction: async () => {
      await write.async.exec('BEGIN')
      try {
        for (let i = 0; i < 100; i++) await write.async.run(INSERT, row)
        await write.async.exec('COMMIT')
      } catch (error) {
        await write.async.exec('ROLLBACK')
        throw error
      }
    },
  }
}

const OPERATIONS = [
  { key: 'get', label: 'get', write: false },
  { key: 'all', label: 'all 100', write: false },
  { key: 'allRaw', label: 'all 100 (raw arrays)', write: false, syncOnly: true },
  { key: 'iterate', label: 'iterate 100', write: false, syncOnly: true },
  { key: 'getUncached', label: 'get, no page cache', write: false, syncOnly: true },
  { key: 'allUncached', label: 'all 100, no page cache', write: false, syncOnly: true },
  { key: 'insert', label: 'insert', write: true },
  { key: 'transaction', label: '100 inserts in a transaction', write: true },
]

function casesFor(mode, ghost, ghostAsync, anchor) {
  const cases = []
  for (const op of OPERATIONS) {
    const target = mode === 'encrypted' && op.write ? ENCRYPTED_WRITE_TARGET : undefined
    const anchorCompetitor = { name: anchor.name, anchor: anchor.kind, fn: anchor.ops[op.key], target }
    cases.push({
      name: `${mode} ${op.label}`,
      competitors: [{ name: 'ghostkit', anchor: 'ghostkit', fn: ghost[op.key] }, anchorCompetitor],
    })
    if (!op.syncOnly) {
      cases.push({
        name: `${mode} ${op.label} (async API)`,
        competitors: [{ name: 'ghostkit db.async', anchor: 'ghostkit', fn: ghostAsync[op.key] }, anchorCompetitor],
      })
    }
  }
  return cases
}

/**
 * multiple-ciphers must read a file ghostkit encrypted (and the other way round): the proof
 * that both use the same SQLCipher 4 settings, so the comparison is like for like.
 */
function crossCheck(gk, MultipleCiphers, openMc, ghostFile, mcFile, rawKey) {
  const mc = openMc(ghostFile)
  const fromMc = mc.prepare('SELECT count(*) AS n, sum(integer) AS s FROM small').get()
  mc.close()
  const g = gk.open(mcFile, { rawKey })
  const fromGk = g.prepare('SELECT count(*) AS n, sum(integer) AS s FROM small').get()
  g.close()
  const want = { n: ROWS, s: ROWS * 0x7fffffff }
  if (fromMc.n !== want.n || fromMc.s !== want.s) throw new Error(`multiple-ciphers read ${JSON.stringify(fromMc)} from ghostkit's file`)
  if (fromGk.n !== want.n || fromGk.s !== want.s) throw new Error(`ghostkit read ${JSON.stringify(fromGk)} from multiple-ciphers' file`)
}

/** The db benchmark definition, for bench/run.mjs. */
export async function define() {
  const gk = require('../lib/db.js')
  const { PACKAGES, loadBetterSqlite3, loadMultipleCiphers } = require('../scripts/peers/better-sqlite3.js')
  const BetterSqlite3 = loadBetterSqlite3()
  const MultipleCiphers = loadMultipleCiphers()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ghostkit-bench-db-'))
  const rawKey = randomBytes(32)
  const keyPragma = `key = "x'${rawKey.toString('hex')}'"`
  const openMc = (file) => {
    const conn = new MultipleCiphers(file)
    conn.pragma("cipher = 'sqlcipher'")
    conn.pragma('legacy = 4')
    conn.pragma(keyPragma)
    return conn
  }
  const conns = {
    ghostPlain: openPair(dir, 'ghostkit-plain', (f) => gk.open(f)),
    ghostEncrypted: openPair(dir, 'ghostkit-encrypted', (f) => gk.open(f, { rawKey })),
    plain: openPair(dir, 'better-sqlite3', (f) => new BetterSqlite3(f)),
    mc: openPair(dir, 'multiple-ciphers', openMc),
  }
  crossCheck(gk, MultipleCiphers, openMc, path.join(dir, 'ghostkit-encrypted-read.db'), path.join(dir, 'multiple-ciphers-read.db'), rawKey)
  const versions = gk.versions()
  const mcVersion = conns.mc.read.prepare('SELECT sqlite3mc_version() AS v').get().v
  return {
    module: 'db',
    targets: TARGETS,
    info: {
      ghostkit: `SQLite ${versions.sqlite}, SQLCipher ${versions.sqlcipher}, provider ${versions.provider}`,
      'better-sqlite3': `${PACKAGES['better-sqlite3']} (SQLite ${conns.plain.read.prepare('SELECT sqlite_version() AS v').get().v})`,
      'multiple-ciphers': `${PACKAGES['better-sqlite3-multiple-ciphers']} (${mcVersion})`,
      'cipher settings': "same SQLCipher 4 format (each library opened the other's encrypted file)",
    },
    cases: [
      ...casesFor('plain', syncOps(conns.ghostPlain), asyncOps(conns.ghostPlain), {
        name: 'better-sqlite3',
        kind: 'better-sqlite3',
        ops: syncOps(conns.plain),
      }),
      ...casesFor('encrypted', syncOps(conns.ghostEncrypted), asyncOps(conns.ghostEncrypted), {
        name: "multiple-ciphers (cipher='sqlcipher')",
        kind: 'multiple-ciphers',
        ops: syncOps(conns.mc),
      }),
    ],
    teardown() {
      for (const pair of Object.values(conns)) {
        for (const conn of Object.values(pair)) conn.close()
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = parseBenchArgs(process.argv.slice(2))
  await runBenchmark(await define(), opts)
}
