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
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { argon2id } from 'hash-wasm'
import { CANONICAL_SQL, PASSPHRASE, SCHEMA, canonical, insertSql, makeRows, readWithGhostkit, writeWithGhostkit as writeRows } from './peers/rows.mjs'

const require = createRequire(import.meta.url)
const db = require('../../lib/db.js')
const { availableCpuLevels } = require('../../lib/crypto.js')
const { runSql, queryJson, ensureSqlcipherCli } = require('../../scripts/peers/sqlcipher-cli.js')

const ROW_COUNT = 1200
// `{ key }` mode as lib/db.d.ts documents it: Argon2id t=2, m=19 MiB, p=1, 32-byte key,
// salted with the file's first 16 bytes, handed to SQLCipher as x'<key><salt>'.
const ARGON2 = { iterations: 2, memorySize: 19456, parallelism: 1, hashLength: 32 }

const writeWithGhostkit = (file, options, rows) => writeRows(db, file, options, rows)

/** Reads every row back through ghostkit and compares the JS values themselves. */
function assertGhostkitRows(conn, rows) {
  const got = readWithGhostkit(conn)
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
  const want = canonical(rows)
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

const rows = makeRows(ROW_COUNT)

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
    assert.ok(readFileSync(`${file}-wal`).length > 50 * 4096, 'the rows are in the WAL')
    assertCliRows(file, { rawKey }, some)
    // The CLI appends a row through the same WAL; ghostkit's open connection sees it.
    const extra = { ...rows[300], id: 5000, t: 'written by the CLI ✍' }
    runSql(file, { rawKey }, insertSql([extra], { schema: false }))
    assertGhostkitRows(conn, [...some, extra])
  } finally {
    conn.close()
  }
})

// Every CPU level's provider (AES-NI/VAES widths, SHA extensions, the portable baseline)
// is one ghostkit could pick on some machine: each must meet the CLI in both directions.
const LEVEL_CHILD = fileURLToPath(new URL('./peers/level-interop.mjs', import.meta.url))
const LEVEL_ROWS = 300

function levelChild(level, args) {
  const r = spawnSync(process.execPath, [LEVEL_CHILD, ...args], {
    env: { ...process.env, GHOSTKIT_CPU_LEVEL: level },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  assert.equal(r.status, 0, `level ${level} child failed: ${r.stderr}`)
  const out = JSON.parse(r.stdout)
  assert.equal(out.provider, level, 'the child used the requested provider level')
  return out
}

for (const level of availableCpuLevels) {
  test(`provider level ${level}: raw-key and passphrase files go both ways with the CLI`, (t) => {
    const dir = tempDir(t)
    const some = rows.slice(0, LEVEL_ROWS)
    const rawKey = randomBytes(32)
    const raw = JSON.stringify({ rawKey: rawKey.toString('hex') })
    const compat = JSON.stringify({ passphrase: PASSPHRASE, kdf: 'sqlcipher' })

    levelChild(level, ['write', path.join(dir, 'raw.db'), raw, String(LEVEL_ROWS)])
    assertCliRows(path.join(dir, 'raw.db'), { rawKey }, some)
    levelChild(level, ['write', path.join(dir, 'pass.db'), compat, String(LEVEL_ROWS)])
    assertCliRows(path.join(dir, 'pass.db'), { passphrase: PASSPHRASE }, some)

    runSql(path.join(dir, 'cli-raw.db'), { rawKey }, insertSql(some))
    assert.deepEqual(levelChild(level, ['read', path.join(dir, 'cli-raw.db'), raw]).rows, canonical(some))
    runSql(path.join(dir, 'cli-pass.db'), { passphrase: PASSPHRASE }, insertSql(some))
    assert.deepEqual(levelChild(level, ['read', path.join(dir, 'cli-pass.db'), compat]).rows, canonical(some))
  })
}
