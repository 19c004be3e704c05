// Keys and damaged files: wrong keys, truncated files, plain files opened with a key, a
// directory as path, tampered pages (never different data), rekey, the key modes, and no
// OpenSSL in the addon.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const { Database } = require('../../lib/db.js')

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..')
const dir = mkdtempSync(path.join(os.tmpdir(), 'zqlite-sec-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))
const file = (name) => path.join(dir, name)

/** An encrypted file with `rows` rows of 200 bytes of text each (many pages). */
function makeDb(name, options, rows = 200) {
  const d = new Database(file(name), options)
  d.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)')
  const ins = d.prepare('INSERT INTO t (body) VALUES (?)')
  d.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run(`row ${i} `.padEnd(200, 'x'))
  })()
  d.close()
  return file(name)
}

test('a passphrase file: salt in the first 16 bytes, no plaintext on disk, wrong key fails at open', () => {
  const p = makeDb('pass.db', { key: 'correct horse' })
  const bytes = readFileSync(p)
  assert.notEqual(bytes.subarray(0, 16).toString('latin1'), 'SQLite format 3\0')
  assert.equal(bytes.indexOf('row 1 '), -1)
  assert.throws(() => new Database(p, { key: 'wrong horse' }), { code: 'ERR_ZQLITE_BAD_KEY' })
  assert.throws(() => new Database(p, { rawKey: Buffer.alloc(32, 1) }), { code: 'ERR_ZQLITE_BAD_KEY' })
  assert.throws(() => new Database(p, { passphrase: 'correct horse', kdf: 'sqlcipher' }), { code: 'ERR_ZQLITE_BAD_KEY' })
  assert.throws(() => new Database(p), { code: 'SQLITE_NOTADB' })
  const d = new Database(p, { key: 'correct horse' })
  assert.equal(d.prepare('SELECT count(*) FROM t').pluck().get(), 200)
  assert.equal(d.encrypted, true)
  d.close()
})

test('raw key and SQLCipher passphrase modes reopen; rekey changes the key', () => {
  const raw = Buffer.alloc(32, 7)
  const p = makeDb('raw.db', { rawKey: raw }, 10)
  const d = new Database(p, { rawKey: raw })
  d.rekey({ key: 'new passphrase' })
  d.close()
  assert.throws(() => new Database(p, { rawKey: raw }), { code: 'ERR_ZQLITE_BAD_KEY' })
  const e = new Database(p, { key: 'new passphrase' })
  assert.equal(e.prepare('SELECT count(*) FROM t').pluck().get(), 10)
  e.rekey({ passphrase: 'stock', kdf: 'sqlcipher' })
  e.close()
  const f = new Database(p, { passphrase: 'stock', kdf: 'sqlcipher' })
  assert.equal(f.prepare('SELECT count(*) FROM t').pluck().get(), 10)
  f.close()
})

test('a truncated file gives a typed error', () => {
  const p = makeDb('trunc.db', { key: 'k' })
  truncateSync(p, 10)
  assert.throws(() => new Database(p, { key: 'k' }), { code: 'SQLITE_CORRUPT', message: /truncated/ })
  const q = makeDb('trunc2.db', { key: 'k' })
  truncateSync(q, statSync(q).size - 1000)
  assert.throws(() => new Database(q, { key: 'k' }), { code: 'SQLITE_CORRUPT' })
})

test('a plain SQLite file opened with a key is refused', () => {
  const p = makeDb('plain.db', {}, 3)
  assert.equal(readFileSync(p).subarray(0, 16).toString('latin1'), 'SQLite format 3\0')
  assert.throws(() => new Database(p, { key: 'k' }), { code: 'ERR_ZQLITE_NOT_ENCRYPTED' })
  const d = new Database(p)
  assert.equal(d.encrypted, false)
  assert.equal(d.prepare('SELECT count(*) FROM t').pluck().get(), 3)
  d.close()
})

test('a directory as path is refused', () => {
  mkdirSync(file('a-directory'))
  assert.throws(() => new Database(file('a-directory'), { key: 'k' }), { code: 'SQLITE_CANTOPEN_ISDIR' })
  assert.throws(() => new Database(file('a-directory')), { code: 'SQLITE_CANTOPEN_ISDIR' })
})

test('tamper: one flipped byte in a data page fails the read, never returns other data', () => {
  const p = makeDb('tamper.db', { key: 'k' }, 400)
  const pages = statSync(p).size / 4096
  assert.ok(pages > 10)
  for (const [page, offset] of [[3, 100], [Math.floor(pages / 2), 2000], [pages - 1, 4000]]) {
    const copy = file(`tamper-${page}.db`)
    writeFileCopy(p, copy)
    const fd = openSync(copy, 'r+')
    const at = (page - 1) * 4096 + offset
    const b = Buffer.alloc(1)
    readSync(fd, b, 0, 1, at)
    b[0] ^= 0x01
    writeSync(fd, b, 0, 1, at)
    closeSync(fd)
    const d = new Database(copy, { key: 'k' })
    assert.throws(
      () => d.prepare('SELECT id, body FROM t ORDER BY id').all(),
      (e) => /^SQLITE_(CORRUPT|NOTADB)/.test(e.code),
    )
    d.close()
  }
})

function writeFileCopy(from, to) {
  execFileSync('cp', [from, to])
}

test('the addon links no OpenSSL (ldd shows no libcrypto/libssl)', () => {
  const addon = readdirSync(root).find((f) => f.startsWith('ghostkit.') && f.endsWith('.node'))
  assert.ok(addon, 'the built addon is in the package root')
  const ldd = execFileSync('ldd', [path.join(root, addon)], { encoding: 'utf8' })
  assert.ok(ldd.length > 0)
  assert.doesNotMatch(ldd, /libcrypto|libssl/)
  const symbols = execFileSync('nm', ['-D', '--undefined-only', path.join(root, addon)], { encoding: 'utf8' })
  assert.doesNotMatch(symbols, /\bEVP_|\bHMAC_|\bRAND_bytes/)
})
