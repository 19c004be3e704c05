// `ghostkit db`: the small SQL shell over an encrypted file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = path.join(ROOT, 'bin/ghostkit.js')
const { Database } = require('../../lib/db.js')
const { splitStatements } = require('../../bin/commands/db.js')

const dir = mkdtempSync(path.join(tmpdir(), 'zqlite-cli-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

function ghostkit(args, { input = '', env = {} } = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GHOSTKIT_DB_KEY: '', ...env },
  })
}

test('-e runs statements; the file is encrypted with the Argon2id key mode', () => {
  const file = path.join(dir, 'a.db')
  const r = ghostkit(['db', file, '--key', 'pw', '-e', "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'x;y'), (2, x'0102'); SELECT * FROM t"])
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, "1|x;y\n2|x'0102'\n")
  const d = new Database(file, { key: 'pw' })
  assert.equal(d.prepare('SELECT count(*) FROM t').pluck().get(), 2)
  d.close()
})

test('statements from stdin, JSON rows, key from GHOSTKIT_DB_KEY, errors exit 1', () => {
  const file = path.join(dir, 'b.db')
  const d = new Database(file, { key: 'env key' })
  d.exec("CREATE TABLE t(n INTEGER, s TEXT); INSERT INTO t VALUES (7, 'seven')")
  d.close()
  const r = ghostkit(['db', file, '--json'], { input: 'SELECT n,\n s FROM t;\nSELEC 1;\n', env: { GHOSTKIT_DB_KEY: 'env key' } })
  assert.equal(r.status, 1)
  assert.equal(r.stdout, '{"n":7,"s":"seven"}\n')
  assert.match(r.stderr, /SQLITE_ERROR/)
  const bad = ghostkit(['db', file, '--key', 'nope', '-e', 'SELECT 1'])
  assert.equal(bad.status, 1)
  assert.match(bad.stderr, /ERR_ZQLITE_BAD_KEY/)
  const usage = ghostkit(['db', file, '--key', 'a', '--raw-key', '00'])
  assert.equal(usage.status, 2)
})

test('the statement splitter respects quotes, comments and trigger bodies', () => {
  const { statements, rest } = splitStatements(
    "SELECT ';'; -- a ; comment\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END; SELECT /* ; */ 2; SELECT 3",
  )
  assert.deepEqual(statements, [
    "SELECT ';';",
    '-- a ; comment\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END;',
    'SELECT /* ; */ 2;',
  ])
  assert.equal(rest.trim(), 'SELECT 3')
})
