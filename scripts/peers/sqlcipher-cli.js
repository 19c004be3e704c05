'use strict'
// The SQLCipher 4.6.1 command-line shell from Debian trixie: the independent reader and
// writer the db interop tests run against. Debian bookworm only ships SQLCipher 3.4.1, so
// the trixie packages are fetched with apt-get into private apt folders (no root, nothing
// installed on the system), unpacked with dpkg-deb, and the binary is started through
// the unpacked trixie dynamic loader with the unpacked libraries only.
//
//   node scripts/peers/sqlcipher-cli.js   installs it ahead of time and prints its version
//
// The Debian mirror is the one this machine's apt is configured with (the trixie suite
// on the same URI), and the archive keyring is the system's.
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ensurePeer } = require('./cache.js')

const VERSION = '4.6.1'
const SUITE = 'trixie'
/** The CLI and its whole runtime closure (Depends of each, minus data-only packages). */
const DEBS = ['sqlcipher', 'libsqlcipher1', 'libc6', 'libgcc-s1', 'libssl3t64', 'libzstd1', 'libreadline8t64', 'libtinfo6', 'zlib1g']
const KEYRINGS = ['/usr/share/keyrings/debian-archive-keyring.gpg', '/usr/share/keyrings/debian-archive-trixie-stable.gpg']

/** The Debian archive URI this machine's apt uses (one-line or deb822 sources). */
function debianMirror() {
  const files = []
  if (fs.existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list')
  const partsDir = '/etc/apt/sources.list.d'
  if (fs.existsSync(partsDir)) {
    for (const f of fs.readdirSync(partsDir)) if (/\.(list|sources)$/.test(f)) files.push(path.join(partsDir, f))
  }
  const uris = []
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^\s*URIs:\s*(\S+)/gm)) uris.push(m[1])
    for (const m of text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/gm)) uris.push(m[1])
  }
  // The main archive, not the security one or a third-party repository.
  const main = uris.find((u) => /\/debian\/?$/.test(u))
  if (!main) throw new Error(`no Debian archive URI found in ${files.join(', ') || '/etc/apt'}; cannot fetch the ${SUITE} sqlcipher packages`)
  return main.replace(/\/$/, '')
}

function install(dir) {
  for (const tool of ['apt-get', 'dpkg-deb']) {
    const r = spawnSync(tool, ['--version'], { stdio: 'ignore' })
    if (r.error || r.status !== 0) throw new Error(`${tool} is needed to install the SQLCipher ${VERSION} CLI`)
  }
  const keyring = KEYRINGS.find((k) => fs.existsSync(k))
  if (!keyring) throw new Error(`no Debian archive keyring (${KEYRINGS.join(', ')})`)
  const apt = path.join(dir, 'apt')
  for (const sub of ['state/lists/partial', 'cache/archives/partial', 'parts', 'debs']) fs.mkdirSync(path.join(apt, sub), { recursive: true })
  fs.writeFileSync(path.join(apt, 'sources.list'), `deb [signed-by=${keyring}] ${debianMirror()} ${SUITE} main\n`)
  fs.writeFileSync(path.join(apt, 'status'), '')
  const opts = [
    `Dir::Etc::SourceList=${path.join(apt, 'sources.list')}`,
    `Dir::Etc::SourceParts=${path.join(apt, 'parts')}`,
    `Dir::State=${path.join(apt, 'state')}`,
    `Dir::State::status=${path.join(apt, 'status')}`,
    `Dir::Cache=${path.join(apt, 'cache')}`,
    'Debug::NoLocking=1',
    // The private folders belong to the current user; apt's _apt sandbox could not write them.
    `APT::Sandbox::User=${os.userInfo().username}`,
    'APT::Architecture=amd64',
    'Acquire::Languages=none',
  ].flatMap((o) => ['-o', o])
  const run = (args, cwd) => execFileSync('apt-get', [...opts, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] })
  run(['-q', 'update'])
  run(['-q', 'download', ...DEBS], path.join(apt, 'debs'))
  const root = path.join(dir, 'root')
  fs.mkdirSync(root)
  const debs = fs.readdirSync(path.join(apt, 'debs')).filter((f) => f.endsWith('.deb'))
  if (debs.length !== DEBS.length) throw new Error(`expected ${DEBS.length} .deb files, got ${debs.join(', ')}`)
  for (const deb of debs) execFileSync('dpkg-deb', ['-x', path.join(apt, 'debs', deb), root])
  const sqlcipherDeb = debs.find((d) => d.startsWith('sqlcipher_'))
  if (!sqlcipherDeb.startsWith(`sqlcipher_${VERSION}-`)) throw new Error(`${SUITE} ships ${sqlcipherDeb}, not SQLCipher ${VERSION}`)
  fs.rmSync(apt, { recursive: true, force: true })
  // The install counts only once the binary runs and reports the expected version.
  const cli = cliFromDir(dir)
  const out = cli.exec([':memory:'], 'PRAGMA cipher_version;\n')
  if (!out.stdout.startsWith(VERSION)) throw new Error(`unexpected cipher_version: ${out.stdout || out.stderr}`)
}

function cliFromDir(dir) {
  const root = path.join(dir, 'root')
  // trixie has merged /usr: the loader is in usr/lib64 (lib64 on older layouts).
  const loader = ['usr/lib64', 'lib64', 'usr/lib/x86_64-linux-gnu'].map((d) => path.join(root, d, 'ld-linux-x86-64.so.2')).find((f) => fs.existsSync(f)) || path.join(root, 'usr/lib64/ld-linux-x86-64.so.2')
  const libs = [path.join(root, 'usr/lib/x86_64-linux-gnu'), path.join(root, 'lib/x86_64-linux-gnu')].filter((d) => fs.existsSync(d)).join(':')
  const binary = path.join(root, 'usr/bin/sqlcipher')
  for (const f of [loader, binary]) if (!fs.existsSync(f)) throw new Error(`SQLCipher CLI incomplete: ${f} is missing`)
  return {
    dir,
    /** Runs the shell with `args` and `input` on stdin; never throws on a SQL error. */
    exec(args, input = '', { timeout = 60_000 } = {}) {
      const r = spawnSync(loader, ['--library-path', libs, binary, '-batch', '-init', '/dev/null', ...args], {
        input,
        encoding: 'utf8',
        timeout,
        maxBuffer: 256 * 1024 * 1024,
        env: { HOME: dir, PATH: process.env.PATH || '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
      })
      if (r.error) throw r.error
      return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
    },
  }
}

let cached
/** Installs the CLI once (into the peers cache) and returns its runner. */
function ensureSqlcipherCli() {
  if (!cached) cached = cliFromDir(ensurePeer('sqlcipher-cli', VERSION, install))
  return cached
}

function sqlQuote(text) {
  return `'${String(text).replaceAll("'", "''")}'`
}

/**
 * The `PRAGMA key` statement for a key: `{ rawKey }` (Buffer/Uint8Array, 32 bytes, or 48
 * with the salt) becomes `x'<hex>'`; `{ passphrase }` goes through SQLCipher 4's own PBKDF2
 * (default settings: PBKDF2-HMAC-SHA512, 256,000 iterations).
 */
function keyStatements({ rawKey, passphrase } = {}) {
  if (rawKey !== undefined) return `PRAGMA key = "x'${Buffer.from(rawKey).toString('hex')}'";`
  if (passphrase !== undefined) return `PRAGMA key = ${sqlQuote(passphrase)};`
  throw new TypeError('a key is required: { rawKey } or { passphrase }')
}

/**
 * Runs `sql` (one or more statements) in the SQLCipher 4.6.1 CLI against `file`, keyed
 * with `key` ({ rawKey } or { passphrase }). Returns the shell's stdout in `mode` ('list'
 * by default, 'json', 'csv', …). Throws with the shell's stderr when a statement fails:
 * the shell runs with -bail, so nothing after a failing statement runs.
 */
function runSql(file, key, sql, { mode = 'list', timeout } = {}) {
  const cli = ensureSqlcipherCli()
  // The key pragma answers "ok"; send that answer to /dev/null so stdout holds only `sql`'s.
  const input = `.output /dev/null\n${keyStatements(key)}\n.output stdout\n.mode ${mode}\n${sql}\n`
  const r = cli.exec(['-bail', file], input, { timeout })
  if (r.status !== 0 || r.stderr.trim() !== '') {
    const error = new Error(`sqlcipher CLI failed (status ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${r.stderr.trim()}`)
    error.stderr = r.stderr
    error.stdout = r.stdout
    error.status = r.status
    throw error
  }
  return r.stdout
}

/** Runs one query in the CLI and returns its rows as objects (JSON mode; [] for no rows). */
function queryJson(file, key, sql, options) {
  const out = runSql(file, key, sql, { ...options, mode: 'json' }).trim()
  return out === '' ? [] : JSON.parse(out)
}

module.exports = { VERSION, ensureSqlcipherCli, runSql, queryJson, keyStatements }

if (require.main === module) {
  const cli = ensureSqlcipherCli()
  console.log(cli.dir)
  process.stdout.write(cli.exec([':memory:'], 'PRAGMA cipher_version;\nselect sqlite_version();\n').stdout)
}
