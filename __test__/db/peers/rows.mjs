// Shared by interop.test.mjs and level-interop.mjs: deterministic rows with every SQLite
// storage class, the SQL the SQLCipher CLI runs to write them from exact literals, and the
// canonical form both sides are compared in (integers as decimal text, reals as their
// IEEE-754 bits, text as its UTF-8 bytes, blobs as hex).

export const SCHEMA = 'CREATE TABLE items (id INTEGER PRIMARY KEY, i INTEGER, big INTEGER, r REAL, t TEXT, b BLOB, n)'
export const PASSPHRASE = "correct horse ' battery \"staple\" 🐎 ü"

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

/** `count` deterministic rows; blobs from 0 bytes to ~9 KB (overflow pages). */
export function makeRows(count) {
  const rows = []
  for (let id = 1; id <= count; id++) {
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

export const realBits = (x) => {
  const buf = Buffer.alloc(8)
  buf.writeDoubleBE(x)
  return buf.toString('hex').toUpperCase()
}

/** The canonical form of rows held as JS values (ghostkit's, read with safeIntegers, or the originals). */
export function canonical(rows) {
  const integer = (v) => (typeof v === 'bigint' || Number.isInteger(v) ? 'integer' : typeof v)
  return rows.map((r) => ({
    id: Number(r.id),
    ti: integer(r.i),
    i: String(r.i),
    tbig: integer(r.big),
    big: String(r.big),
    tr: typeof r.r === 'number' ? 'real' : typeof r.r,
    rbits: realBits(r.r),
    tt: typeof r.t === 'string' ? 'text' : typeof r.t,
    t: Buffer.from(r.t, 'utf8').toString('hex').toUpperCase(),
    tb: Buffer.isBuffer(r.b) ? 'blob' : Object.prototype.toString.call(r.b),
    b: Buffer.from(r.b).toString('hex').toUpperCase(),
    tn: r.n === null ? 'null' : typeof r.n,
  }))
}

/** The same canonical form, computed by the SQLCipher CLI (JSON mode) with SQL functions. */
export const CANONICAL_SQL = `SELECT id, typeof(i) AS ti, CAST(i AS TEXT) AS i, typeof(big) AS tbig, CAST(big AS TEXT) AS big,
  typeof(r) AS tr, hex(ieee754_to_blob(r)) AS rbits, typeof(t) AS tt, hex(CAST(t AS BLOB)) AS t,
  typeof(b) AS tb, hex(b) AS b, typeof(n) AS tn FROM items ORDER BY id;`

/** The rows as SQL the CLI runs, built from exact literals (no float or text re-parsing). */
export function insertSql(rows, { schema = true } = {}) {
  const lines = ['BEGIN;']
  if (schema) lines.push(`${SCHEMA};`)
  for (const r of rows) {
    lines.push(
      `INSERT INTO items VALUES (${r.id}, ${r.i}, ${r.big}, ieee754_from_blob(x'${realBits(r.r)}'), ` +
        `CAST(x'${Buffer.from(r.t, 'utf8').toString('hex')}' AS TEXT), x'${r.b.toString('hex')}', NULL);`,
    )
  }
  lines.push('COMMIT;')
  return lines.join('\n')
}

/** Creates `items` in a new file through ghostkit (`db` is lib/db.js) and inserts `rows`. */
export function writeWithGhostkit(db, file, options, rows) {
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

/** Every row of `items` through ghostkit, integers as BigInt. */
export function readWithGhostkit(conn) {
  return conn.prepare('SELECT id, i, big, r, t, b, n FROM items ORDER BY id').safeIntegers(true).all()
}
