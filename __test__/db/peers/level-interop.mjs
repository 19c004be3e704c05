// Child process of interop.test.mjs, started with GHOSTKIT_CPU_LEVEL set: writes or reads
// the shared test rows through ghostkit with the crypto provider of that CPU level, so
// every level's AES-256-CBC, HMAC-SHA512 and PBKDF2 meet the SQLCipher CLI.
//
//   node level-interop.mjs write <file> <options JSON> <row count>
//   node level-interop.mjs read <file> <options JSON>
// Options JSON: { "rawKey": "<hex>" } or { "passphrase": "…", "kdf": "sqlcipher" }.
// Prints one JSON line: { provider, rows? } (rows in the canonical form of rows.mjs).
import { createRequire } from 'node:module'
import { canonical, makeRows, readWithGhostkit, writeWithGhostkit } from './rows.mjs'

const require = createRequire(import.meta.url)
const db = require('../../../lib/db.js')

const [mode, file, optionsJson, countText] = process.argv.slice(2)
if (!['write', 'read'].includes(mode) || !file || !optionsJson) {
  console.error('usage: level-interop.mjs <write|read> <file> <options JSON> [row count]')
  process.exit(2)
}
const parsed = JSON.parse(optionsJson)
const options = parsed.rawKey ? { rawKey: Buffer.from(parsed.rawKey, 'hex') } : parsed
const out = { provider: db.versions().provider }
if (mode === 'write') {
  writeWithGhostkit(db, file, options, makeRows(Number(countText)))
} else {
  const conn = db.open(file, options)
  try {
    out.rows = canonical(readWithGhostkit(conn))
  } finally {
    conn.close()
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`)
