'use strict'
// Key material on the command line: key files written by `ghostkit keygen --out`, or hex.

const fs = require('node:fs')
const { UsageError, RuntimeError, parseHex, firstLine } = require('./cli.js')

const KEY_ALGORITHMS = ['ed25519', 'secp256k1', 'x25519']
const SIGNING_ALGORITHMS = ['ed25519', 'secp256k1']

function checkAlgorithm(algorithm, allowed, what) {
  if (!allowed.includes(algorithm)) {
    throw new UsageError(`${what}: unknown algorithm '${algorithm}' (expected ${allowed.join(', ')})`)
  }
  return algorithm
}

function isFile(path) {
  try {
    return fs.statSync(path).isFile()
  } catch {
    return false
  }
}

function readKeyFile(path, option) {
  let parsed
  try {
    parsed = JSON.parse(fs.readFileSync(path, 'utf8'))
  } catch (err) {
    const reason = err instanceof SyntaxError ? 'not a ghostkit key file (bad JSON)' : firstLine(err.message)
    throw new RuntimeError(`${option} ${path}: ${reason}`)
  }
  if (parsed === null || typeof parsed !== 'object' || typeof parsed.algorithm !== 'string') {
    throw new RuntimeError(`${option} ${path}: not a ghostkit key file (no "algorithm")`)
  }
  return parsed
}

// A key file's algorithm wins; --algo may repeat it but not contradict it.
function resolveAlgorithm(fromFile, fromOption, option) {
  if (fromFile && fromOption && fromFile !== fromOption) {
    throw new UsageError(`${option} holds a ${fromFile} key but --algo is ${fromOption}`)
  }
  return fromFile ?? fromOption
}

/** --key FILE|HEX → { algorithm, secretKey } (32 bytes). */
function readSecretKey(arg, algoOption) {
  if (isFile(arg)) {
    const file = readKeyFile(arg, '--key')
    if (typeof file.secretKey !== 'string') throw new RuntimeError(`--key ${arg}: the file holds no secretKey`)
    const algorithm = resolveAlgorithm(file.algorithm, algoOption, '--key')
    checkAlgorithm(algorithm, KEY_ALGORITHMS, '--key')
    return { algorithm, secretKey: parseSecretHex(file.secretKey, `--key ${arg}: secretKey`) }
  }
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(arg)) throw new UsageError('--key is neither a key file nor 32 bytes of hex')
  if (!algoOption) throw new UsageError('--algo is required with a hex --key')
  return { algorithm: algoOption, secretKey: parseSecretHex(arg, '--key') }
}

function parseSecretHex(text, what) {
  const bytes = parseHex(text, what)
  if (bytes.length !== 32) throw new UsageError(`${what} must be 32 bytes`)
  return bytes
}

/**
 * --pub FILE|HEX → { algorithm, publicKey?, address? }. A 20-byte value is an Ethereum
 * address; without a file or --algo, 33/65 bytes mean secp256k1 and 32 bytes Ed25519.
 */
function readPublicKey(arg, algoOption) {
  let algorithm = algoOption
  let publicKey
  let address
  if (isFile(arg)) {
    const file = readKeyFile(arg, '--pub')
    algorithm = resolveAlgorithm(file.algorithm, algoOption, '--pub')
    if (typeof file.publicKey === 'string') publicKey = parseHex(file.publicKey, `--pub ${arg}: publicKey`)
    else if (typeof file.address === 'string') address = file.address
    else throw new RuntimeError(`--pub ${arg}: the file holds no publicKey`)
  } else {
    const bytes = parseHex(arg, '--pub')
    if (bytes.length === 20) {
      address = arg
      algorithm ??= 'secp256k1'
    } else {
      publicKey = bytes
      algorithm ??= bytes.length === 32 ? 'ed25519' : 'secp256k1'
    }
  }
  checkAlgorithm(algorithm, SIGNING_ALGORITHMS, '--pub')
  const lengths = algorithm === 'ed25519' ? [32] : [33, 65]
  if (publicKey !== undefined && !lengths.includes(publicKey.length)) {
    throw new UsageError(`--pub: a ${algorithm} public key is ${lengths.join(' or ')} bytes, not ${publicKey.length}`)
  }
  if (address !== undefined && algorithm !== 'secp256k1') throw new UsageError('an address --pub needs secp256k1')
  return { algorithm, publicKey, address }
}

/** Writes a key file with mode 0600; refuses to replace one unless `force`. */
function writeKeyFile(path, json, force) {
  let fd
  try {
    fd = fs.openSync(path, force ? 'w' : 'wx', 0o600)
  } catch (err) {
    if (err.code === 'EEXIST') throw new RuntimeError(`${path} exists (use --force to overwrite it)`)
    throw new RuntimeError(`cannot write ${path}: ${firstLine(err.message)}`)
  }
  try {
    fs.fchmodSync(fd, 0o600)
    fs.writeFileSync(fd, json)
  } finally {
    fs.closeSync(fd)
  }
}

module.exports = { KEY_ALGORITHMS, SIGNING_ALGORITHMS, checkAlgorithm, readSecretKey, readPublicKey, writeKeyFile }
