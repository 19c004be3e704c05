'use strict'
// ghostkit/db — zqlite: SQLCipher 4 with a Zig crypto provider, better-sqlite3's API.
// The native layer returns rows as flat arrays of values; this layer turns them into
// objects with a row factory compiled once per statement (V8 builds object literals of a
// fixed shape faster than any property-by-property path), validates arguments, and
// builds the typed errors.

const native = require('./native.js')

// `run` and `rows` as plain Node-API functions (no per-call borrow bookkeeping of
// napi-rs): the same native code, installed over the generated methods.
{
  const [run, rows, next] = native.dbStatementFastPaths()
  Object.defineProperty(native.NativeStatement.prototype, 'run', { value: run, writable: true, configurable: true })
  Object.defineProperty(native.NativeStatement.prototype, 'rows', { value: rows, writable: true, configurable: true })
  Object.defineProperty(native.NativeStatement.prototype, 'next', { value: next, writable: true, configurable: true })
}

const KEY_KDF = Object.freeze({ algorithm: 'argon2id', tCost: 2, mCostKib: 19456, parallelism: 1, saltBytes: 16 })
const KEY_NONE = 0
const KEY_PASSPHRASE = 1
const KEY_RAW = 2
const KEY_SQLCIPHER = 3
const JOURNAL_MODES = new Set(['wal', 'delete', 'truncate', 'memory', 'off', 'persist'])

class SqliteError extends Error {
  constructor(message, code, errno) {
    super(message)
    this.name = 'SqliteError'
    this.code = code
    this.errno = errno
  }
}

class ZqliteError extends Error {
  constructor(message, code) {
    super(message)
    this.name = 'ZqliteError'
    this.code = code
  }
}

function invalid(message) {
  return new ZqliteError(message, 'ERR_ZQLITE_INVALID_ARG')
}

/** Rebuilds the typed error from the native `ZQLITE\x01code\x01errno\x01message` form. */
function convert(error) {
  if (!(error instanceof Error) || typeof error.message !== 'string' || !error.message.startsWith('ZQLITE\u0001')) {
    return error
  }
  const [, code, errno, ...rest] = error.message.split('\u0001')
  const message = rest.join('\u0001')
  const typed = code.startsWith('SQLITE_')
    ? new SqliteError(message, code, Number(errno))
    : code === 'ERR_ZQLITE_INVALID_ARG'
      ? Object.assign(new TypeError(message), { code })
      : new ZqliteError(message, code)
  return typed
}

function call(fn) {
  try {
    return fn()
  } catch (error) {
    throw convert(error)
  }
}

const utf8 = new TextEncoder()

function keyBytes(value, what) {
  if (typeof value === 'string') return Buffer.from(utf8.encode(value))
  if (value instanceof Uint8Array) return Buffer.from(value)
  throw invalid(`${what} must be a string or a Uint8Array`)
}

/** `[kind, bytes]` for open/rekey options. */
function parseKey(options) {
  const given = ['key', 'rawKey', 'passphrase'].filter((k) => options[k] !== undefined)
  if (given.length > 1) throw invalid(`give only one of key, rawKey, passphrase (got ${given.join(', ')})`)
  if (options.kdf !== undefined && options.kdf !== 'sqlcipher') throw invalid("kdf must be 'sqlcipher'")
  if (options.passphrase !== undefined && options.kdf !== 'sqlcipher') {
    throw invalid("passphrase needs kdf: 'sqlcipher' (use key for the Argon2id passphrase mode)")
  }
  if (options.kdf === 'sqlcipher' && options.passphrase === undefined) throw invalid("kdf: 'sqlcipher' needs passphrase")
  if (options.key !== undefined) {
    const bytes = keyBytes(options.key, 'key')
    if (bytes.length === 0) throw invalid('key must not be empty')
    return [KEY_PASSPHRASE, bytes]
  }
  if (options.rawKey !== undefined) {
    if (!(options.rawKey instanceof Uint8Array) || options.rawKey.length !== 32) {
      throw invalid('rawKey must be a Uint8Array of exactly 32 bytes')
    }
    return [KEY_RAW, Buffer.from(options.rawKey)]
  }
  if (options.passphrase !== undefined) {
    const bytes = keyBytes(options.passphrase, 'passphrase')
    if (bytes.length === 0) throw invalid('passphrase must not be empty')
    return [KEY_SQLCIPHER, bytes]
  }
  return [KEY_NONE, undefined]
}

function isNamedObject(arg) {
  return arg !== null && typeof arg === 'object' && !Array.isArray(arg) && !(arg instanceof Uint8Array)
}

/** Splits bind arguments into positional values and one named-parameter object. */
function splitArgs(args) {
  const positional = []
  let named
  for (const arg of args) {
    if (Array.isArray(arg)) positional.push(...arg)
    else if (isNamedObject(arg)) {
      if (named !== undefined) throw invalid('only one object of named parameters may be given')
      named = arg
    } else positional.push(arg)
  }
  return [positional, named]
}

function missingNamed(name) {
  throw invalid(`Missing named parameter "${name}"`)
}

/**
 * For a statement with named parameters: a function from (positional values, named
 * object) to one value per parameter, compiled once so each call is a few property reads.
 */
function namedBinder(names) {
  let positional = 0
  const parts = names.map((name) => {
    if (name === null) return `p[${positional++}]`
    const key = JSON.stringify(name)
    return `(o !== undefined && ${key} in o ? o[${key}] : missing(${key}))`
  })
  // eslint-disable-next-line no-new-func
  const build = new Function('p', 'o', 'missing', `return [${parts.join(', ')}]`)
  return (args) => {
    const [p, o] = splitArgs(args)
    if (p.length < positional) throw invalid('Too few parameter values were provided')
    if (p.length > positional) throw invalid('Too many parameter values were provided')
    return build(p, o, missingNamed)
  }
}

/** For a statement with positional parameters only: the arguments themselves when flat. */
function positionalValues(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg !== null && typeof arg === 'object' && !(arg instanceof Uint8Array)) {
      if (!Array.isArray(arg)) throw invalid('named parameters were given, but the statement has none')
      return splitArgs(args)[0]
    }
  }
  return args
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** A function turning flat values at an offset into a row object with these keys. */
function rowFactory(names) {
  const seen = new Set()
  const fields = []
  // Later duplicates win, as in better-sqlite3 (the object keeps the last value).
  names.forEach((name, i) => {
    if (seen.has(name)) {
      const at = fields.findIndex((f) => f[0] === name)
      fields.splice(at, 1)
    }
    seen.add(name)
    fields.push([name, i])
  })
  const body = fields.map(([name, i]) => `${IDENTIFIER.test(name) ? name : JSON.stringify(name)}: v[o + ${i}]`).join(', ')
  // eslint-disable-next-line no-new-func
  return new Function('v', 'o', `return { ${body} }`)
}

class Statement {
  #native
  #db
  #factory = null
  #count
  #pluck = false
  #raw = false
  #expand = false
  #safe
  #bound = null
  #iterating = false
  #values

  constructor(db, nativeStmt, source, safe) {
    this.#db = db
    this.#native = nativeStmt
    this.#count = nativeStmt.columnCount()
    const names = nativeStmt.paramNames()
    this.#values = names.some((n) => n !== null) ? namedBinder(names) : positionalValues
    this.#safe = safe
    if (safe) nativeStmt.setSafeIntegers(true)
    Object.defineProperty(this, 'source', { value: source, enumerable: true })
    Object.defineProperty(this, 'reader', { value: this.#count > 0, enumerable: true })
    Object.defineProperty(this, 'readonly', { value: nativeStmt.readonly(), enumerable: true })
  }

  get database() {
    return this.#db
  }

  get busy() {
    return this.#iterating
  }

  #args(args) {
    if (this.#bound !== null) {
      if (args.length !== 0) throw invalid('This statement already has bound parameters')
      return this.#bound
    }
    return this.#values(args)
  }

  #checkOpen() {
    if (!this.#db.open) throw new ZqliteError('The database connection is not open', 'ERR_ZQLITE_CLOSED')
    if (this.#iterating) {
      throw new ZqliteError('This statement is busy executing an iterate()', 'ERR_ZQLITE_BUSY_STATEMENT')
    }
  }

  #reader(what) {
    if (this.#count === 0) throw invalid(`${what}() is only for statements that return data`)
  }

  #rows(flat) {
    const n = this.#count
    if (this.#pluck) {
      if (n === 1) return flat
      const out = new Array(flat.length / n)
      for (let r = 0; r < out.length; r++) out[r] = flat[r * n]
      return out
    }
    const out = new Array(flat.length / n)
    if (this.#raw) {
      for (let r = 0; r < out.length; r++) out[r] = flat.slice(r * n, r * n + n)
      return out
    }
    if (this.#expand) {
      for (let r = 0; r < out.length; r++) out[r] = this.#expandRow(flat, r * n)
      return out
    }
    const make = this.#factory ?? this.#makeFactory()
    for (let r = 0; r < out.length; r++) out[r] = make(flat, r * n)
    return out
  }

  #row(flat, offset) {
    if (this.#pluck) return flat[offset]
    if (this.#raw) return offset === 0 && flat.length === this.#count ? flat : flat.slice(offset, offset + this.#count)
    if (this.#expand) return this.#expandRow(flat, offset)
    return (this.#factory ?? this.#makeFactory())(flat, offset)
  }

  #makeFactory() {
    this.#factory = rowFactory(this.#native.columnNames())
    return this.#factory
  }

  #expandRow(flat, offset) {
    const row = {}
    const cols = this.#columnInfo ??= this.#native.columns()
    for (let i = 0; i < cols.length; i++) {
      const table = cols[i][2] ?? '$'
      ;(row[table] ??= {})[cols[i][0]] = flat[offset + i]
    }
    return row
  }

  #columnInfo = null

  run(...args) {
    this.#checkOpen()
    const values = this.#args(args)
    let result
    try {
      result = this.#native.run(values)
    } catch (error) {
      throw convert(error)
    }
    return { changes: result[0], lastInsertRowid: result[1] }
  }

  get(...args) {
    this.#checkOpen()
    if (this.#count === 0) this.#reader('get')
    const values = this.#args(args)
    let flat
    try {
      flat = this.#native.rows(values, 1)
    } catch (error) {
      throw convert(error)
    }
    return flat === null ? undefined : this.#row(flat, 0)
  }

  all(...args) {
    this.#checkOpen()
    if (this.#count === 0) this.#reader('all')
    const values = this.#args(args)
    let flat
    try {
      flat = this.#native.rows(values, -1)
    } catch (error) {
      throw convert(error)
    }
    return this.#rows(flat)
  }

  *iterate(...args) {
    this.#checkOpen()
    this.#reader('iterate')
    const values = this.#args(args)
    call(() => this.#native.start(values))
    this.#iterating = true
    try {
      const stmt = this.#native
      for (;;) {
        if (!this.#db.open) throw new ZqliteError('The database connection is not open', 'ERR_ZQLITE_CLOSED')
        let values
        try {
          values = stmt.next()
        } catch (error) {
          throw convert(error)
        }
        if (values === null) return
        yield this.#row(values, 0)
      }
    } finally {
      this.#iterating = false
      if (this.#db.open) call(() => this.#native.reset())
    }
  }

  pluck(toggle = true) {
    this.#reader('pluck')
    this.#pluck = Boolean(toggle)
    if (toggle) this.#raw = this.#expand = false
    return this
  }

  raw(toggle = true) {
    this.#reader('raw')
    this.#raw = Boolean(toggle)
    if (toggle) this.#pluck = this.#expand = false
    return this
  }

  expand(toggle = true) {
    this.#reader('expand')
    this.#expand = Boolean(toggle)
    if (toggle) this.#pluck = this.#raw = false
    return this
  }

  safeIntegers(toggle = true) {
    this.#safe = Boolean(toggle)
    this.#native.setSafeIntegers(this.#safe)
    return this
  }

  columns() {
    this.#reader('columns')
    return call(() => this.#native.columns()).map(([name, column, table, database, type]) => ({
      name,
      column,
      table,
      database,
      type,
    }))
  }

  bind(...args) {
    if (this.#bound) throw invalid('The bind() method can only be invoked once per statement object')
    const values = this.#values(args)
    // Bind once now so that a wrong parameter count fails here, as in better-sqlite3.
    call(() => this.#native.start(values))
    this.#bound = values
    return this
  }
}

function abortError(signal) {
  const error = new Error('The operation was aborted', { cause: signal.reason })
  error.name = 'AbortError'
  error.code = 'ABORT_ERR'
  return error
}

/** Calls in flight on one database thread (the native queue holds 256 behind the running one). */
const QUEUE_MAX = 256

class AsyncDatabase {
  #db
  #native
  #inflight = 0
  #waiting = []

  #release() {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#inflight--
  }

  constructor(db, nativeDb) {
    this.#db = db
    this.#native = nativeDb
  }

  async #run(kind, sql, params, options = {}) {
    if (typeof sql !== 'string') throw invalid('sql must be a string')
    if (!this.#db.open) throw new ZqliteError('The database connection is not open', 'ERR_ZQLITE_CLOSED')
    const { signal } = options ?? {}
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal')
    if (signal?.aborted) throw abortError(signal)
    let positional
    let named
    if (Array.isArray(params)) positional = params
    else if (params !== undefined && params !== null) {
      if (typeof params !== 'object') throw invalid('params must be an array or an object')
      named = params
    }
    let onAbort
    const aborted = new Promise((resolve, reject) => {
      onAbort = () => {
        this.#native.interrupt()
        reject(abortError(signal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    // At most QUEUE_MAX calls are handed to the database thread; later callers wait here,
    // in order, and each finished call hands its slot to the next.
    if (this.#inflight < QUEUE_MAX) this.#inflight++
    else await new Promise((resolve) => this.#waiting.push(resolve))
    let work
    try {
      if (!this.#db.open) throw new ZqliteError('The database connection is not open', 'ERR_ZQLITE_CLOSED')
      work = call(() => this.#native.runAsync(kind, sql, positional, named, this.#db.safeIntegersDefault))
    } catch (error) {
      this.#release()
      signal?.removeEventListener('abort', onAbort)
      throw error
    }
    work.then(
      () => this.#release(),
      () => this.#release(),
    )
    work.catch(() => {})
    aborted.catch(() => {})
    try {
      const [names, flat, changes, lastInsertRowid] = await (signal ? Promise.race([work, aborted]) : work).catch((e) => {
        throw convert(e)
      })
      if (kind === 0) return { changes, lastInsertRowid }
      if (kind === 3) return undefined
      const n = names.length
      const make = rowFactory(names)
      if (kind === 1) return flat.length === 0 ? undefined : make(flat, 0)
      const rows = new Array(n === 0 ? 0 : flat.length / n)
      for (let r = 0; r < rows.length; r++) rows[r] = make(flat, r * n)
      return rows
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  run(sql, params, options) {
    return this.#run(0, sql, params, options)
  }

  get(sql, params, options) {
    return this.#run(1, sql, params, options)
  }

  all(sql, params, options) {
    return this.#run(2, sql, params, options)
  }

  exec(sql, options) {
    return this.#run(3, sql, undefined, options)
  }
}

class Database {
  #native
  #open = false
  #async
  #savepoint = 0
  safeIntegersDefault = false

  constructor(path, options = {}) {
    if (typeof path !== 'string') throw invalid('path must be a string')
    if (path.includes('\0')) throw invalid('path must not contain NUL bytes')
    if (options === null || typeof options !== 'object') throw invalid('options must be an object')
    const [kind, bytes] = parseKey(options)
    const timeout = options.timeout ?? 5000
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > 0x7fffffff) {
      throw invalid('timeout must be a non-negative integer (milliseconds)')
    }
    const journalMode = options.journalMode ?? 'wal'
    if (!JOURNAL_MODES.has(journalMode)) throw invalid(`journalMode must be one of ${[...JOURNAL_MODES].join(', ')}`)
    const readonly = Boolean(options.readonly)
    try {
      this.#native = call(
        () =>
          new native.NativeDatabase(path, kind, bytes, {
            readonly,
            fileMustExist: Boolean(options.fileMustExist),
            timeoutMs: timeout,
            journalMode,
          }),
      )
    } finally {
      bytes?.fill(0)
    }
    this.#open = true
    Object.defineProperty(this, 'name', { value: path, enumerable: true })
    Object.defineProperty(this, 'readonly', { value: readonly, enumerable: true })
    Object.defineProperty(this, 'memory', { value: path === ':memory:' || path === '', enumerable: true })
    this.#async = new AsyncDatabase(this, this.#native)
  }

  get open() {
    return this.#open
  }

  get inTransaction() {
    return this.open && this.#native.inTransaction
  }

  get encrypted() {
    return this.#native.encrypted
  }

  get async() {
    return this.#async
  }

  #checkOpen() {
    if (!this.open) throw new ZqliteError('The database connection is not open', 'ERR_ZQLITE_CLOSED')
  }

  prepare(sql) {
    if (typeof sql !== 'string') throw invalid('sql must be a string')
    this.#checkOpen()
    const stmt = call(() => this.#native.prepare(sql))
    return new Statement(this, stmt, sql, this.safeIntegersDefault)
  }

  exec(sql) {
    if (typeof sql !== 'string') throw invalid('sql must be a string')
    this.#checkOpen()
    call(() => this.#native.exec(sql))
    return this
  }

  pragma(source, options = {}) {
    if (typeof source !== 'string') throw invalid('pragma source must be a string')
    if (options === null || typeof options !== 'object') throw invalid('options must be an object')
    const stmt = this.prepare(`PRAGMA ${source}`)
    if (!stmt.reader) {
      stmt.run()
      return options.simple ? undefined : []
    }
    return options.simple ? stmt.pluck().get() : stmt.all()
  }

  #controls = new Map()

  /** A cached statement for BEGIN/COMMIT/ROLLBACK (transactions run them constantly). */
  #control(sql) {
    let stmt = this.#controls.get(sql)
    if (stmt === undefined) {
      stmt = this.prepare(sql)
      this.#controls.set(sql, stmt)
    }
    return stmt
  }

  transaction(fn) {
    if (typeof fn !== 'function') throw invalid('transaction() needs a function')
    const db = this
    const make = (begin) => {
      const wrapped = function (...args) {
        if (db.inTransaction) {
          const name = `zqlite_sp_${++db.#savepoint}`
          db.exec(`SAVEPOINT ${name}`)
          try {
            const result = fn.apply(this, args)
            db.exec(`RELEASE ${name}`)
            return result
          } catch (error) {
            if (db.inTransaction) {
              db.exec(`ROLLBACK TO ${name}`)
              db.exec(`RELEASE ${name}`)
            }
            throw error
          } finally {
            db.#savepoint--
          }
        }
        db.#control(begin).run()
        try {
          const result = fn.apply(this, args)
          db.#control('COMMIT').run()
          return result
        } catch (error) {
          if (db.inTransaction) db.#control('ROLLBACK').run()
          throw error
        }
      }
      return wrapped
    }
    const deferred = make('BEGIN')
    const variants = {
      deferred,
      immediate: make('BEGIN IMMEDIATE'),
      exclusive: make('BEGIN EXCLUSIVE'),
    }
    for (const f of Object.values(variants)) Object.assign(f, variants)
    return deferred
  }

  function(name, options, fn) {
    if (typeof options === 'function') {
      fn = options
      options = {}
    }
    if (typeof name !== 'string' || name === '') throw invalid('function name must be a non-empty string')
    if (typeof fn !== 'function') throw invalid('function() needs a function')
    if (options === null || typeof options !== 'object') throw invalid('options must be an object')
    this.#checkOpen()
    const argc = options.varargs ? -1 : fn.length
    const safe = Boolean(options.safeIntegers ?? this.safeIntegersDefault)
    const wrapped = (...args) => {
      const result = fn(...args)
      if (result === undefined) return null
      if (typeof result === 'boolean') return result ? 1 : 0
      return result
    }
    call(() =>
      this.#native.function(
        name,
        { argCount: argc, deterministic: Boolean(options.deterministic), directOnly: options.directOnly === true, safeIntegers: safe },
        wrapped,
      ),
    )
    return this
  }

  async backup(destination, options = {}) {
    if (typeof destination !== 'string' || destination === '') throw invalid('destination must be a path')
    if (options === null || typeof options !== 'object') throw invalid('options must be an object')
    const attached = options.attached ?? 'main'
    const progress = options.progress
    if (progress !== undefined && typeof progress !== 'function') throw invalid('progress must be a function')
    this.#checkOpen()
    const backup = call(() => this.#native.backup(destination, attached))
    let pages = 100
    for (;;) {
      let step
      try {
        step = backup.step(pages)
      } catch (error) {
        throw convert(error)
      }
      const [remainingPages, totalPages] = await step.catch((e) => {
        throw convert(e)
      })
      if (remainingPages === 0) return { totalPages, remainingPages }
      if (progress) {
        const next = progress({ totalPages, remainingPages })
        if (next !== undefined) {
          if (!Number.isInteger(next) || next < 0) throw invalid('progress() must return a non-negative integer')
          pages = next === 0 ? 100 : next
        }
      }
    }
  }

  serialize(options = {}) {
    if (options === null || typeof options !== 'object') throw invalid('options must be an object')
    this.#checkOpen()
    return call(() => this.#native.serialize(options.attached ?? 'main'))
  }

  rekey(options) {
    if (options === null || typeof options !== 'object') throw invalid('rekey() needs { key } or { rawKey } or { passphrase, kdf }')
    this.#checkOpen()
    const [kind, bytes] = parseKey(options)
    if (kind === KEY_NONE) throw invalid('rekey() needs { key } or { rawKey } or { passphrase, kdf }')
    try {
      call(() => this.#native.rekey(kind, bytes))
    } finally {
      bytes.fill(0)
    }
    return this
  }

  defaultSafeIntegers(toggle = true) {
    this.safeIntegersDefault = Boolean(toggle)
    return this
  }

  interrupt() {
    if (this.open) this.#native.interrupt()
  }

  close() {
    if (this.#open) {
      this.#open = false
      call(() => this.#native.close())
    }
    return this
  }

  [Symbol.dispose]() {
    this.close()
  }
}

function open(path, options) {
  return new Database(path, options)
}

function versions() {
  const [sqlite, provider] = call(() => native.dbVersions())
  const memory = new Database(':memory:')
  try {
    return { sqlite, sqlcipher: String(memory.pragma('cipher_version', { simple: true })), provider }
  } finally {
    memory.close()
  }
}

module.exports = Database
module.exports.Database = Database
module.exports.Statement = Statement
module.exports.SqliteError = SqliteError
module.exports.ZqliteError = ZqliteError
module.exports.open = open
module.exports.versions = versions
module.exports.KEY_KDF = KEY_KDF
module.exports.default = Database
