// Interop with the SQLCipher 4.6.1 command-line shell (Debian trixie, installed by
// scripts/peers/sqlcipher-cli.js; a missing peer fails these tests, it never skips them):
// files ghostkit writes open in the CLI and files the CLI writes open in ghostkit, with a
// raw key and with SQLCipher's own passphrase KDF, and both sides see the same rows byte
// for byte — integers up to 2^63-1, reals by their IEEE-754 bits, UTF-8 text by its bytes,
// blobs from empty to several pages, NULLs — over enough rows to span hundreds of pages.
// The Argon2id `{ key }` mode is checked against the CLI too, with the key derived by an
// independent Argon2id (hash-wasm) from the documented parameters and the file's salt.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { argon2id } from 'hash-wasm'

const require = createRequire(import.meta.url)
const db = require('../../lib/db.js')
const { runSql, queryJson, ensureSqlcipherCli } = require('../../scripts/peers/sqlcipher-cli.js')

const ROW_COUNT = 1200
// `{ key }` mode as lib/db.d.ts documents it: Argon2id t=2, m=19 MiB, p=1, 32-byte key,
// salted with the file's first 16 bytes, handed to SQLCipher as x'<key><salt>'.
const ARGON2 = { iterations: 2, memorySize: 19456, parallelism: 1, hashLength: 32 }
const SCHEMA = 'CREATE TABLE items (id INTEGER PRIMARY KEY, i INTEGER, big INTEGER, r REAL, t TEXT, b BLOB, n)'
const PASSPHRASE = "correct horse ' battery \"staple\" 🐎 ü"

const INTEGERS = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 7919]
const BIGS = [9223372036854775807n, -9223372036854775808n, 2n ** 53n + 1n, -(2n ** 60n), 42n]
const REALS = [1 / 3, -2.5, 1e300, 5e-324, Math.PI, 0.1, -1.7976931348623157e308, 123456.789]
const TEXTS = [
  'plain ascii',
  'héllo wörld',
  '日本語のテキスト',
  '🔐 keys 🗝️ and 👩‍👩‍👧',
  'e\u0301 combining',
  'مرحبا بالعالم',
  "quote ' double \" backslash \\ semicolon ; -- comment",
  '',
  'long '.repeat(900),
]

/** ROW_COUNT deterministic rows with every storage class; blobs from 0 to ~9 KB. */
function makeRows() {
  const rows = []
  for (let id = 1; id <= ROW_COUNT; id++) {
    const blobLength = id % 97 === 0 ? 9000 + id : id % 5 === 0 ? 0 : (id * 37) % 1500
    const b = Buffer.alloc(blobLength)
    for (let k = 0; k < blobLength; k++) b[k] = (id * 131 + k * 7) & 0xff
    rows.push({
      id,
      i: id % 3 === 0 ? INTEGERS[id % INTEGERS.length] : id * 1000003,
      big: BIGS[id % BIGS.length],
      r: REALS[id % REALS.length] * (id % 2 ? 1 : -1),
      t: `${TEXTS[id % TEXTS.length]} #${id}`,
      b,
      n: null,
    })
  }
  return rows
}

const realBits = (x) => {
  const buf = Buffer.alloc(8)
  buf.writeDoubleBE(x)
  return buf.toString('hex').toUpperCase()
}

/** What the CLI's canonical query must print for `rows`. */
function expectedCanonical(rows) {
  return rows.map((r) => ({
    id: r.id,
    ti: 'integer',
    i: String(r.i),
    tbig: 'integer',
    big: String(r.big),
    tr: 'real',
    rbits: realBits(r.r),
    tt: 'text',
    t: Buffer.from(r.t, 'utf8').toString('hex').toUpperCase(),
    tb: 'blob',
    b: r.b.toString('hex').toUpperCase(),
    tn: 'null',
  }))
}

// Exact in the CLI: integers as text, reals as their 8 bytes, text as its UTF-8 bytes.
const CANONICAL_SQL = `SELECT id, typeof(i) AS ti, CAST(i AS TEXT) AS i, typeof(big) AS tbig, CAST(big AS TEXT) AS big,
  typeof(r) AS tr, hex(ieee754_to_blob(r)) AS rbits, typeof(t) AS tt, hex(CAST(t AS BLOB)) AS t,
  typeof(b) AS tb, hex(b) AS b, typeof(n) AS tn FROM items ORDER BY id;`

/** The rows as SQL the CLI runs, built from exact literals (no float or text re-parsing). */
function insertSql(rows) {
  const lines = ['BEGIN;', `${SCHEMA};`]
  for (const r of rows) {
    lines.push(
      `INSERT INTO items VALUES (${r.id}, ${r.i}, ${r.big}, ieee754_from_blob(x'${realBits(r.r)}'), ` +
        `CAST(x'${Buffer.from(r.t, 'utf8').toString('hex')}' AS TEXT), x'${r.b.toString('hex')}', NULL);`,
    )
  }
  lines.push('COMMIT;')
  return lines.join('\n')
}

function writeWithGhostkit(file, options, rows) {
  const conn = db.open(file, options)
  try {
    conn.exec(SCHEMA)
    const insert = conn.prepare('INSERT INTO items (id, i, big, r, t, b, n) VALUES (@id, @i, @big, @r, @t, @b, @n)')
    conn.transaction((all) => {
      for (const r of all) insert.run(r)
    })(rows)
  } finally {
    conn.close()
  }
}

/** Reads every row back through ghostkit and compares the JS values themselves. */
function assertGhostkitRows(conn, rows) {
  const got = conn.prepare('SELECT id, i, big, r, t, b, n FROM items ORDER BY id').safeIntegers(true).all()
  assert.equal(got.length, rows.length)
  for (let k = 0; k < rows.length; k++) {
    const g = got[k]
    const w = rows[k]
    const where = `row ${w.id}`
    assert.equal(g.id, BigInt(w.id), where)
    assert.equal(g.i, BigInt(w.i), where)
    assert.equal(g.big, w.big, where)
    assert.ok(Object.is(g.r, w.r), `${where}: r ${g.r} !== ${w.r}`)
    assert.equal(g.t, w.t, where)
    assert.ok(Buffer.isBuffer(g.b), `${where}: blob is ${Object.prototype.toString.call(g.b)}`)
    assert.ok(g.b.equals(w.b), `${where}: blob differs (${g.b.length} vs ${w.b.length} bytes)`)
    assert.equal(g.n, null, where)
  }
}

function assertCliRows(file, key, rows) {
  const got = queryJson(file, key, CANONICAL_SQL)
  assert.equal(got.length, rows.length)
  const want = expectedCanonical(rows)
  for (let k = 0; k < rows.length; k++) assert.deepEqual(got[k], want[k], `row ${rows[k].id} as the CLI sees it`)
}

function assertEncrypted(file) {
  const head = readFileSync(file).subarray(0, 16)
  assert.notEqual(head.toString('latin1'), 'SQLite format 3\0', 'the file is not encrypted')
}

function assertCliRejects(file, key) {
  assert.throws(() => runSql(file, key, 'SELECT count(*) FROM items;'), /file is not a database/)
}

function tempDir(t) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ghostkit-interop-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('the SQLCipher CLI peer is version 4.6.1', () => {
  const out = ensureSqlcipherCli().exec([':memory:'], 'PRAGMA cipher_version;\n')
  assert.equal(out.status, 0, out.stderr)
  assert.match(out.stdout, /^4\.6\.1\b/)
})

const rows = makeRows()

test('a file ghostkit writes with { rawKey } opens in the CLI with the same raw key and the same rows', (t) => {
  const file = path.join(tempDir(t), 'gk-raw.db')
  const rawKey = randomBytes(32)
  writeWithGhostkit(file, { rawKey }, rows)
  assertEncrypted(file)
  assert.ok(readFileSync(file).length > 200 * 4096, 'the rows span hundreds of pages')
  assertCliRows(file, { rawKey }, rows)
  assert.equal(runSql(file, { rawKey }, 'PRAGMA cipher_integrity_check;').trim(), '')
  assert.equal(runSql(file, { rawKey }, 'PRAGMA integrity_check;').trim(), 'ok')
  const other = Buffer.from(rawKey)
  other[31] ^= 1
  assertCliRejects(file, { rawKey: other })
})

test("a file ghostkit writes with { passphrase, kdf: 'sqlcipher' } opens in the CLI with PRAGMA key", (t) => {
  const file = path.join(tempDir(t), 'gk-pass.db')
  writeWithGhostkit(file, { passphrase: PASSPHRASE, kdf: 'sqlcipher' }, rows)
  assertEncrypted(file)
  assertCliRows(file, { passphrase: PASSPHRASE }, rows)
  assert.equal(runSql(file, { passphrase: PASSPHRASE }, 'PRAGMA cipher_integrity_check;').trim(), '')
  assertCliRejects(file, { passphrase: `${PASSPHRASE}x` })
})

test("a file the CLI writes with PRAGMA key opens in ghostkit with { passphrase, kdf: 'sqlcipher' }, and edits go back", (t) => {
  const file = path.join(tempDir(t), 'cli-pass.db')
  runSql(file, { passphrase: PASSPHRASE }, insertSql(rows))
  assertEncrypted(file)
  const conn = db.open(file, { passphrase: PASSPHRASE, kdf: 'sqlcipher' })
  try {
    assertGhostkitRows(conn, rows)
    // Edit in ghostkit: update, delete and insert, then the CLI must see exactly that.
    conn.prepare('UPDATE items SET t = ?, b = ? WHERE id = ?').run('edited ✓', Buffer.from([0, 1, 2, 255]), 7)
    conn.prepare('DELETE FROM items WHERE id > ?').run(ROW_COUNT - 10)
    conn.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)').run(ROW_COUNT + 1, -5, 9223372036854775806n, 2.25, 'new ☃', Buffer.alloc(5000, 0xab), null)
  } finally {
    conn.close()
  }
  const edited = rows.filter((r) => r.id <= ROW_COUNT - 10).map((r) => (r.id === 7 ? { ...r, t: 'edited ✓', b: Buffer.from([0, 1, 2, 255]) } : r))
  edited.push({ id: ROW_COUNT + 1, i: -5, big: 9223372036854775806n, r: 2.25, t: 'new ☃', b: Buffer.alloc(5000, 0xab), n: null })
  assertCliRows(file, { passphrase: PASSPHRASE }, edited)
  assert.equal(runSql(file, { passphrase: PASSPHRASE }, 'PRAGMA integrity_check;').trim(), 'ok')
})

test('a file the CLI writes with a raw key opens in ghostkit with { rawKey }', (t) => {
  const file = path.join(tempDir(t), 'cli-raw.db')
  const rawKey = randomBytes(32)
  runSql(file, { rawKey }, insertSql(rows))
  assertEncrypted(file)
  const conn = db.open(file, { rawKey })
  try {
    assertGhostkitRows(conn, rows)
    assert.equal(conn.pragma('integrity_check', { simple: true }), 'ok')
  } finally {
    conn.close()
  }
  const other = Buffer.from(rawKey)
  other[0] ^= 0x80
  assert.throws(() => db.open(file, { rawKey: other }), (e) => e.code === 'ERR_ZQLITE_BAD_KEY')
})

test("a CLI passphrase file refuses a wrong passphrase in ghostkit with ERR_ZQLITE_BAD_KEY", (t) => {
  const file = path.join(tempDir(t), 'cli-wrong.db')
  runSql(file, { passphrase: PASSPHRASE }, 'CREATE TABLE x (a); INSERT INTO x VALUES (1);')
  assert.throws(() => db.open(file, { passphrase: 'not the passphrase', kdf: 'sqlcipher' }), (e) => e.code === 'ERR_ZQLITE_BAD_KEY')
  const conn = db.open(file, { passphrase: PASSPHRASE, kdf: 'sqlcipher' })
  try {
    assert.deepEqual(conn.prepare('SELECT a FROM x').all(), [{ a: 1 }])
  } finally {
    conn.close()
  }
})

async function argon2Key(passphrase, salt) {
  return Buffer.from(await argon2id({ ...ARGON2, password: Buffer.from(passphrase, 'utf8'), salt, outputType: 'binary' }))
}

test('the documented Argon2id parameters are the ones ghostkit exports', () => {
  assert.deepEqual(
    { t: db.KEY_KDF.tCost, m: db.KEY_KDF.mCostKib, p: db.KEY_KDF.parallelism, salt: db.KEY_KDF.saltBytes, algorithm: db.KEY_KDF.algorithm },
    { t: ARGON2.iterations, m: ARGON2.memorySize, p: ARGON2.parallelism, salt: 16, algorithm: 'argon2id' },
  )
})

test('a file ghostkit writes with { key } opens in the CLI with x\'<Argon2id key><salt>\' derived independently', async (t) => {
  const file = path.join(tempDir(t), 'gk-argon2.db')
  writeWithGhostkit(file, { key: PASSPHRASE }, rows)
  assertEncrypted(file)
  const salt = readFileSync(file).subarray(0, 16)
  const derived = await argon2Key(PASSPHRASE, salt)
  assertCliRows(file, { rawKey: Buffer.concat([derived, salt]) }, rows)
  // The raw key alone works as well (SQLCipher then reads the salt from the file)…
  assert.equal(runSql(file, { rawKey: derived }, 'SELECT count(*) FROM items;').trim(), String(ROW_COUNT))
  // …and the passphrase through SQLCipher's own KDF does not: the key really is Argon2id's.
  assertCliRejects(file, { passphrase: PASSPHRASE })
})

test('a file the CLI writes with x\'<Argon2id key><salt>\' opens in ghostkit with { key }', async (t) => {
  const file = path.join(tempDir(t), 'cli-argon2.db')
  const salt = randomBytes(16)
  const derived = await argon2Key(PASSPHRASE, salt)
  runSql(file, { rawKey: Buffer.concat([derived, salt]) }, insertSql(rows))
  assert.ok(readFileSync(file).subarray(0, 16).equals(salt), 'the CLI stored the given salt')
  const conn = db.open(file, { key: PASSPHRASE })
  try {
    assertGhostkitRows(conn, rows)
  } finally {
    conn.close()
  }
  assert.throws(() => db.open(file, { key: `${PASSPHRASE} ` }), (e) => e.code === 'ERR_ZQLITE_BAD_KEY')
})

test('ghostkit and the CLI share one live WAL database: each reads what the other just committed', (t) => {
  const file = path.join(tempDir(t), 'live-wal.db')
  const rawKey = randomBytes(32)
  const conn = db.open(file, { rawKey })
  try {
    assert.equal(conn.pragma('journal_mode', { simple: true }), 'wal')
    // No automatic checkpoint: the rows stay in ghostkit's WAL frames while the CLI reads.
    conn.pragma('wal_autocheckpoint = 0')
    conn.exec(SCHEMA)
    const insert = conn.prepare('INSERT INTO items (id, i, big, r, t, b, n) VALUES (@id, @i, @big, @r, @t, @b, @n)')
    const some = rows.slice(0, 300)
    conn.transaction(() => some.forEach((r) => insert.run(r)))()
    assert.ok(readFileSync(`${file}-wal`).length > 100 * 4096, 'the rows are in the WAL')
    assertCliRows(file, { rawKey }, some)
    // The CLI appends a row through the same WAL; ghostkit's open connection sees it.
    const extra = { ...rows[300], id: 5000, t: 'written by the CLI ✍' }
    runSql(file, { rawKey }, insertSql([extra]).replace(`${SCHEMA};`, ''))
    assertGhostkitRows(conn, [...some, extra])
  } finally {
    conn.close()
  }
})
