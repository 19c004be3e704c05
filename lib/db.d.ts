// ghostkit/db — zqlite: encrypted embedded SQLite (SQLCipher 4 file format, crypto
// provider in Zig). A synchronous API shaped like better-sqlite3's, plus `db.async`, a
// promise API whose statements run on a per-database thread.

/// <reference types="node" />

/** A value bound to a parameter: numbers, bigints, strings, Buffers/Uint8Arrays (BLOB), null. */
export type SqlValue = number | bigint | string | Uint8Array | null
/** Named parameters: `{ id: 1 }` binds `@id`, `:id` and `$id`. */
export type NamedParams = Record<string, SqlValue | boolean | undefined>
/** Bind arguments: positional values, optionally one object of named values. */
export type BindArgs = Array<SqlValue | boolean | NamedParams | SqlValue[]>

/** How a database is unlocked. At most one of `key`, `rawKey`, `passphrase`. */
export interface OpenOptions {
  /**
   * A passphrase. The raw 256-bit SQLCipher key is derived with Argon2id
   * (t = 2, m = 19 MiB, p = 1) salted with the file's first 16 bytes (random for a new
   * file) and handed to SQLCipher as `x'<key><salt>'`; opening costs milliseconds.
   */
  key?: string | Uint8Array
  /** A raw 32-byte key (SQLCipher `PRAGMA key = "x'…'"`). */
  rawKey?: Uint8Array
  /** With `kdf: 'sqlcipher'`: stock SQLCipher 4 `PRAGMA key = '…'` (PBKDF2-SHA512, 256,000 rounds). */
  passphrase?: string | Uint8Array
  /** `'sqlcipher'` selects the stock SQLCipher passphrase KDF for `passphrase`. */
  kdf?: 'sqlcipher'
  /** Open read-only (default false). */
  readonly?: boolean
  /** Fail when the file does not exist (default false: create it). */
  fileMustExist?: boolean
  /** Milliseconds to wait on a lock before SQLITE_BUSY (default 5000). */
  timeout?: number
  /**
   * Journal mode (default `'wal'`). In WAL mode SQLite checkpoints automatically when the
   * WAL reaches 1000 pages, and `close()` checkpoints and removes the WAL.
   */
  journalMode?: 'wal' | 'delete' | 'truncate' | 'memory' | 'off' | 'persist'
}

/** `run()` result. */
export interface RunResult {
  /** Rows changed by the statement (INSERT/UPDATE/DELETE). */
  changes: number
  /** Rowid of the last inserted row (a bigint under `safeIntegers()`). */
  lastInsertRowid: number | bigint
}

/** One result column, as `stmt.columns()` describes it. */
export interface ColumnDefinition {
  name: string
  column: string | null
  table: string | null
  database: string | null
  type: string | null
}

/** Options of `db.pragma()`. */
export interface PragmaOptions {
  /** Return the first column of the first row only. */
  simple?: boolean
}

/** Options of `db.function()`. */
export interface FunctionOptions {
  /** The function always returns the same output for the same input (default false). */
  deterministic?: boolean
  /** Call with every argument as an array (any argument count). */
  varargs?: boolean
  /** Integers arrive as BigInt. */
  safeIntegers?: boolean
  /** SQLITE_DIRECTONLY: the function cannot be used from triggers, views or schema objects (default false). */
  directOnly?: boolean
}

/** Options of `db.backup()`. */
export interface BackupOptions {
  /** Attached database name to copy (default `'main'`). */
  attached?: string
  /**
   * Called after every step with the pages copied so far; return the number of pages
   * for the next step (default 100), or 0 to go on with the default.
   */
  progress?: (info: { totalPages: number; remainingPages: number }) => number | void
}

/** Options of `db.async.*` calls. */
export interface AsyncOptions {
  /** Aborting interrupts the running statement (`sqlite3_interrupt`); the promise rejects with `AbortError`. */
  signal?: AbortSignal
}

/** A compiled SQL statement. */
export declare class Statement<Row = Record<string, unknown>> {
  /** The database this statement belongs to. */
  readonly database: Database
  /** The SQL text. */
  readonly source: string
  /** True when the statement returns rows (a SELECT or RETURNING). */
  readonly reader: boolean
  /** True when the statement does not write the database. */
  readonly readonly: boolean
  /** True while an `iterate()` over this statement is open. */
  readonly busy: boolean

  /** Runs the statement; returns changes and the last rowid. */
  run(...params: BindArgs): RunResult
  /** The first row, or undefined when there is none. */
  get(...params: BindArgs): Row | undefined
  /** Every row. */
  all(...params: BindArgs): Row[]
  /** Rows one at a time; break out of the loop to reset the statement. */
  iterate(...params: BindArgs): IterableIterator<Row>
  /** Rows become the value of their first column (`pluck(false)` turns it off). */
  pluck(toggle?: boolean): this
  /** Rows become arrays of values. */
  raw(toggle?: boolean): this
  /** Rows become `{ table: { column: value } }`. */
  expand(toggle?: boolean): this
  /** INTEGER values come back as BigInt. */
  safeIntegers(toggle?: boolean): this
  /** Result columns; throws for a statement that returns no rows. */
  columns(): ColumnDefinition[]
  /** Binds parameters once for every later call (which then take none). */
  bind(...params: BindArgs): this
}

/** A transaction function made by `db.transaction(fn)`. */
export interface Transaction<F extends (...args: any[]) => any> {
  (...args: Parameters<F>): ReturnType<F>
  /** BEGIN DEFERRED (the default). */
  deferred: Transaction<F>
  /** BEGIN IMMEDIATE. */
  immediate: Transaction<F>
  /** BEGIN EXCLUSIVE. */
  exclusive: Transaction<F>
}

/** The promise API: each call runs on the database's own thread, never the event loop's. */
export interface AsyncDatabase {
  /** Runs a statement; resolves to changes and last rowid. */
  run(sql: string, params?: SqlValue[] | NamedParams, options?: AsyncOptions): Promise<RunResult>
  /** Resolves to the first row or undefined. */
  get<Row = Record<string, unknown>>(sql: string, params?: SqlValue[] | NamedParams, options?: AsyncOptions): Promise<Row | undefined>
  /** Resolves to every row. */
  all<Row = Record<string, unknown>>(sql: string, params?: SqlValue[] | NamedParams, options?: AsyncOptions): Promise<Row[]>
  /** Runs one or more statements without parameters. */
  exec(sql: string, options?: AsyncOptions): Promise<void>
}

/** An open database. */
export declare class Database {
  /** Opens (creating unless `fileMustExist`) the database at `path`; `':memory:'` for an in-memory one. */
  constructor(path: string, options?: OpenOptions)
  /** The path given to open. */
  readonly name: string
  /** True until `close()`. */
  readonly open: boolean
  /** True inside a transaction. */
  readonly inTransaction: boolean
  /** True when opened read-only. */
  readonly readonly: boolean
  /** True when the file is encrypted (a key was given). */
  readonly encrypted: boolean
  /** The promise API over this database. */
  readonly async: AsyncDatabase

  /** Compiles one statement. */
  prepare<Row = Record<string, unknown>>(sql: string): Statement<Row>
  /** Runs one or more statements without parameters. */
  exec(sql: string): this
  /** Wraps `fn` in BEGIN/COMMIT (ROLLBACK on throw); nested calls use savepoints. */
  transaction<F extends (...args: any[]) => any>(fn: F): Transaction<F>
  /** Runs `PRAGMA <source>` and returns its rows (or, with `simple`, the first value). */
  pragma(source: string, options?: PragmaOptions): unknown
  /** Registers a user function callable from SQL. */
  function(name: string, fn: (...args: any[]) => SqlValue | boolean | undefined): this
  function(name: string, options: FunctionOptions, fn: (...args: any[]) => SqlValue | boolean | undefined): this
  /** Copies the database to `destination` (a new file, encrypted with the same key), off the event loop. */
  backup(destination: string, options?: BackupOptions): Promise<{ totalPages: number; remainingPages: number }>
  /** The database as a Buffer: SQLite's serialization, DECRYPTED (a plain SQLite image). Handle it as secret. */
  serialize(options?: { attached?: string }): Buffer
  /** Changes the key. Same forms as open: `{ key }`, `{ rawKey }` or `{ passphrase, kdf: 'sqlcipher' }`. */
  rekey(options: Pick<OpenOptions, 'key' | 'rawKey' | 'passphrase' | 'kdf'>): this
  /** Default for new statements: INTEGER values as BigInt. */
  defaultSafeIntegers(toggle?: boolean): this
  /** Interrupts the running statement (from any thread, e.g. an AbortSignal handler). */
  interrupt(): void
  /** Closes the database (waits for the async thread); further calls throw. Idempotent. */
  close(): this
  [Symbol.dispose](): void
}

/** An error from SQLite: `code` is the extended result code name, e.g. `SQLITE_CONSTRAINT_UNIQUE`. */
export declare class SqliteError extends Error {
  readonly code: string
  /** The numeric extended result code. */
  readonly errno: number
}

/**
 * An error from zqlite itself. Codes: `ERR_ZQLITE_BAD_KEY` (wrong key, or not an
 * encrypted database), `ERR_ZQLITE_NOT_ENCRYPTED` (a plain SQLite file opened with a
 * key), `ERR_ZQLITE_CLOSED`, `ERR_ZQLITE_BUSY_STATEMENT`, `ERR_ZQLITE_INVALID_ARG`.
 */
export declare class ZqliteError extends Error {
  readonly code: string
}

/** Opens a database: `open(path, options)` is `new Database(path, options)`. */
export declare function open(path: string, options?: OpenOptions): Database

/** The Argon2id parameters used for `{ key }` (fixed: files depend on them). */
export declare const KEY_KDF: { readonly algorithm: 'argon2id'; readonly tCost: 2; readonly mCostKib: 19456; readonly parallelism: 1; readonly saltBytes: 16 }

/** Versions of the engine: SQLite, SQLCipher, and the crypto provider's CPU level. */
export declare function versions(): { sqlite: string; sqlcipher: string; provider: string }

export default Database
