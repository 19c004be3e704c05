'use strict'
// better-sqlite3@12 and better-sqlite3-multiple-ciphers@12: the anchors of `npm run bench -- db`
// (not used by `npm test`). Both are built from source with node-gyp into the peers cache
// (scripts/peers/cache.js), one folder per package and version; each build takes several
// minutes on two cores, so it happens once per machine.
//
//   node scripts/peers/better-sqlite3.js   installs both ahead of time and prints their folders
//
// Version 13 needs Node 22; 12.x is the line that runs on Node 20.
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { createRequire } = require('node:module')
const { ensurePeer } = require('./cache.js')

const PACKAGES = {
  'better-sqlite3': '12.9.0',
  'better-sqlite3-multiple-ciphers': '12.9.0',
}

/** The folder holding Node's own headers (include/node), so node-gyp needs no download. */
function nodeHeadersDir() {
  const candidates = [process.env.npm_config_nodedir, path.dirname(path.dirname(process.execPath))]
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir
  }
  return undefined
}

function npmCommand() {
  // npm sits beside node in every standard installation; fall back to PATH.
  const beside = path.join(path.dirname(process.execPath), process.platform === 'win32' ? 'npm.cmd' : 'npm')
  return fs.existsSync(beside) ? beside : 'npm'
}

function install(name, version, dir) {
  const env = { ...process.env, npm_config_build_from_source: 'true' }
  const headers = nodeHeadersDir()
  if (headers) env.npm_config_nodedir = headers
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: `peer-${name}`, private: true }, null, 2)}\n`)
  execFileSync(
    npmCommand(),
    ['install', '--prefix', dir, '--no-audit', '--no-fund', '--foreground-scripts', `${name}@${version}`],
    { env, stdio: ['ignore', 'inherit', 'inherit'], cwd: dir },
  )
  // Prove the build loads and runs before the folder is marked complete.
  const req = createRequire(path.join(dir, 'package.json'))
  const Database = req(name)
  const db = new Database(':memory:')
  const row = db.prepare('select sqlite_version() as v').get()
  db.close()
  if (!row || typeof row.v !== 'string') throw new Error(`${name}@${version} built but does not run`)
}

/** Installs (once) and returns the folder of one package. */
function ensure(name) {
  const version = PACKAGES[name]
  if (!version) throw new Error(`unknown better-sqlite3 peer ${name}`)
  return ensurePeer(name, version, (dir) => install(name, version, dir))
}

/** Loads a package from its cache folder, building it first when needed. */
function load(name) {
  const dir = ensure(name)
  return createRequire(path.join(dir, 'package.json'))(name)
}

module.exports = {
  PACKAGES,
  /** better-sqlite3@12 (plain SQLite). */
  loadBetterSqlite3: () => load('better-sqlite3'),
  /** better-sqlite3-multiple-ciphers@12 (SQLite3 Multiple Ciphers, SQLCipher scheme available). */
  loadMultipleCiphers: () => load('better-sqlite3-multiple-ciphers'),
  ensure,
}

if (require.main === module) {
  for (const name of Object.keys(PACKAGES)) console.log(`${name}@${PACKAGES[name]}: ${ensure(name)}`)
}
