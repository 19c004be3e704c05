'use strict'
const readline = require('node:readline')
const { UsageError, RuntimeError, parseHex, firstLine } = require('../lib/cli.js')

/**
 * Splits SQL text into complete statements (ending in `;` outside quotes and comments)
 * and the incomplete rest. Trigger bodies (BEGIN … END) are kept whole.
 */
function splitStatements(text) {
  const statements = []
  let start = 0
  let depth = 0
  let i = 0
  const word = /[A-Za-z_]+/y
  while (i < text.length) {
    const c = text[i]
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c
      i = text.indexOf(close, i + 1)
      if (i === -1) return { statements, rest: text.slice(start) }
      i++
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i)
      if (end === -1) break
      i = end + 1
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      if (end === -1) return { statements, rest: text.slice(start) }
      i = end + 2
    } else if (/[A-Za-z_]/.test(c)) {
      word.lastIndex = i
      const w = word.exec(text)[0].toUpperCase()
      if (w === 'BEGIN' && /\bCREATE\b[\s\S]*\bTRIGGER\b/i.test(text.slice(start, i))) depth++
      else if (w === 'END' && depth > 0) depth--
      i += w.length
    } else if (c === ';' && depth === 0) {
      const statement = text.slice(start, i + 1).trim()
      if (statement !== ';') statements.push(statement)
      start = i + 1
      i++
    } else {
      i++
    }
  }
  return { statements, rest: text.slice(start) }
}

function formatValue(v) {
  if (v === null) return ''
  if (Buffer.isBuffer(v)) return `x'${v.toString('hex')}'`
  return String(v)
}

function openOptions(values) {
  const given = ['key', 'raw-key', 'passphrase'].filter((k) => values[k] !== undefined)
  if (given.length > 1) throw new UsageError('give only one of --key, --raw-key, --passphrase')
  const key = values.key ?? (process.env.GHOSTKIT_DB_KEY || undefined)
  if (values['raw-key'] !== undefined) {
    const raw = parseHex(values['raw-key'], '--raw-key')
    if (raw.length !== 32) throw new UsageError('--raw-key must be 32 bytes (64 hex digits)')
    return { rawKey: raw }
  }
  if (values.passphrase !== undefined) return { passphrase: values.passphrase, kdf: 'sqlcipher' }
  if (key !== undefined) return { key }
  return {}
}

module.exports = {
  summary: 'open an encrypted database and run SQL (a small shell)',
  usage: `Usage: ghostkit db <file> [--key <passphrase> | --raw-key <hex> | --passphrase <p>] [-e <sql>] [--json]

Opens FILE (created if missing) and runs SQL: the statements of -e, or else the
statements read from standard input (an interactive shell on a terminal: end each
statement with ';', '.quit' leaves). Rows print as 'a|b|c' lines, or one JSON object per
line with --json.

Keys:
  --key <passphrase>     Argon2id passphrase (ghostkit's default mode); the
                         environment variable GHOSTKIT_DB_KEY is used when absent
  --raw-key <hex>        a raw 32-byte key, as SQLCipher's PRAGMA key = "x'…'"
  --passphrase <p>       SQLCipher's own passphrase KDF (files made by the sqlcipher CLI)

Options:
  -e, --execute <sql>    run these statements and exit
      --json             print rows as JSON lines
      --readonly         open read-only
  -h, --help             show this help`,
  options: {
    key: { type: 'string' },
    'raw-key': { type: 'string' },
    passphrase: { type: 'string' },
    execute: { type: 'string', short: 'e' },
    json: { type: 'boolean', default: false },
    readonly: { type: 'boolean', default: false },
  },

  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('db takes exactly one database file')
    let dbModule
    try {
      dbModule = require('../../lib/db.js')
    } catch (err) {
      throw new RuntimeError(`cannot load ghostkit/db: ${firstLine(err.message)}`)
    }
    const options = { ...openOptions(values), readonly: values.readonly }
    let database
    try {
      database = new dbModule.Database(positionals[0], options)
    } catch (err) {
      throw new RuntimeError(`cannot open ${positionals[0]}: ${err.message} (${err.code})`)
    }
    const out = (line) => process.stdout.write(line + '\n')
    let failures = 0
    const runOne = (sql) => {
      try {
        const stmt = database.prepare(sql)
        if (!stmt.reader) {
          stmt.run()
          return
        }
        const names = stmt.columns().map((c) => c.name)
        for (const row of stmt.raw().iterate()) {
          if (values.json) out(JSON.stringify(Object.fromEntries(names.map((n, i) => [n, jsonValue(row[i])]))))
          else out(row.map(formatValue).join('|'))
        }
      } catch (err) {
        failures++
        process.stderr.write(`error: ${err.message}${err.code ? ` (${err.code})` : ''}\n`)
      }
    }
    try {
      if (values.execute !== undefined) {
        const { statements, rest } = splitStatements(values.execute + ';')
        for (const s of statements) runOne(s)
        if (rest.trim() !== '') runOne(rest)
        return failures ? 1 : 0
      }
      const interactive = process.stdin.isTTY
      const rl = readline.createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive })
      let buffer = ''
      const prompt = (text) => {
        if (!interactive) return
        rl.setPrompt(text)
        rl.prompt()
      }
      prompt('ghostkit db> ')
      for await (const line of rl) {
        if (buffer === '' && /^\.(quit|exit)\s*$/.test(line)) break
        buffer += line + '\n'
        const { statements, rest } = splitStatements(buffer)
        for (const s of statements) runOne(s)
        buffer = rest.trim() === '' ? '' : rest
        prompt(buffer ? '   ...> ' : 'ghostkit db> ')
      }
      rl.close()
      if (buffer.trim() !== '') runOne(buffer)
      return failures ? 1 : 0
    } finally {
      database.close()
    }
  },

  splitStatements,
}

function jsonValue(v) {
  if (typeof v === 'bigint') return v.toString()
  if (Buffer.isBuffer(v)) return v.toString('hex')
  return v
}
