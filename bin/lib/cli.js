'use strict'
// Shared pieces of the ghostkit CLI: error classes that pick the exit code, hex parsing,
// input reading, and lazy loading of the native modules.

const fs = require('node:fs')

/** Bad command line: exit code 2. */
class UsageError extends Error {}

/** The command ran and failed: exit code 1. */
class RuntimeError extends Error {}

const EXIT_RUNTIME = 1
const EXIT_USAGE = 2

let cryptoModule
/** ghostkit/crypto, loaded on first use so --help and --version work without the addon. */
function loadCrypto() {
  if (!cryptoModule) {
    try {
      cryptoModule = require('../../lib/crypto.js')
    } catch (err) {
      throw new RuntimeError(`cannot load ghostkit/crypto: ${firstLine(err.message)}`)
    }
  }
  return cryptoModule
}

function firstLine(text) {
  return String(text).split('\n')[0]
}

/** Parses hex (an optional 0x prefix, even length) or throws a UsageError naming `what`. */
function parseHex(text, what) {
  const digits = String(text).replace(/^0x/i, '')
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw new UsageError(`${what} is not hex`)
  return new Uint8Array(Buffer.from(digits, 'hex'))
}

function toHex(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** A readable stream of a file, or of standard input for '-'. */
function openInput(file) {
  if (file === undefined || file === '-') return process.stdin
  return fs.createReadStream(file, { highWaterMark: 1024 * 1024 })
}

/** Reads a whole input (for messages that cannot be streamed, e.g. Ed25519). */
async function readAll(file) {
  const chunks = []
  for await (const chunk of openInput(file)) chunks.push(chunk)
  return new Uint8Array(Buffer.concat(chunks))
}

/** Feeds an input through a streaming hash, chunk by chunk, and returns the digest. */
async function hashInput(hashFunction, file, onChunk) {
  const h = hashFunction.create()
  for await (const chunk of openInput(file)) {
    h.update(chunk)
    onChunk?.(chunk.length)
  }
  return h.digest()
}

/** A one-line message for an I/O error on `file`. */
function describeIoError(err, file) {
  const name = file === undefined || file === '-' ? 'standard input' : file
  const reasons = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' }
  return `cannot read ${name}: ${reasons[err.code] ?? firstLine(err.message)}`
}

module.exports = {
  UsageError,
  RuntimeError,
  EXIT_RUNTIME,
  EXIT_USAGE,
  loadCrypto,
  firstLine,
  parseHex,
  toHex,
  openInput,
  readAll,
  hashInput,
  describeIoError,
}
