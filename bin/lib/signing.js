'use strict'
// What sign and verify share: option checks and turning the input into the bytes signed.

const { UsageError, RuntimeError, readAll, hashInput, describeIoError } = require('./cli.js')

const DIGESTS = { sha256: 'sha256', keccak256: 'keccak_256' }

const signingOptions = {
  algo: { type: 'string' },
  hash: { type: 'string' },
  eth: { type: 'boolean', default: false },
}

const signingHelp = `  --algo ALGO  ed25519 or secp256k1 (for a hex key; key files name their own)
  --hash NAME  secp256k1: digest of the message, sha256 (default) or keccak256
  --eth        secp256k1: Ethereum personal_sign (EIP-191), 65-byte r‖s‖v, 0x-prefixed
  -h, --help   show this help`

/** Checks --hash/--eth against the algorithm; returns the digest name (secp256k1 only). */
function checkSigningOptions(algorithm, values) {
  if (values.algo !== undefined && !['ed25519', 'secp256k1'].includes(values.algo)) {
    throw new UsageError(`unknown --algo '${values.algo}' (expected ed25519 or secp256k1)`)
  }
  if (algorithm === 'x25519') throw new UsageError('x25519 keys are for key agreement and cannot sign')
  if (algorithm === 'ed25519' && (values.hash !== undefined || values.eth)) {
    throw new UsageError('--hash and --eth apply to secp256k1 only (Ed25519 signs the message itself)')
  }
  if (values.eth && values.hash !== undefined) throw new UsageError('--eth always hashes with EIP-191; drop --hash')
  if (values.hash !== undefined && !Object.hasOwn(DIGESTS, values.hash)) {
    throw new UsageError(`unknown --hash '${values.hash}' (expected sha256 or keccak256)`)
  }
  return values.hash ?? 'sha256'
}

/**
 * The bytes to sign or verify: the whole message for Ed25519 and EIP-191 (neither can be
 * streamed), else the streamed digest of the input.
 */
async function signedBytes(gk, algorithm, values, file) {
  try {
    if (algorithm === 'ed25519' || values.eth) return await readAll(file)
    return await hashInput(gk[DIGESTS[values.hash ?? 'sha256']], file)
  } catch (err) {
    if (err.code && err.syscall) throw new RuntimeError(describeIoError(err, file))
    throw err
  }
}

function inputFile(positionals, command) {
  if (positionals.length > 1) throw new UsageError(`${command} takes at most one input file`)
  return positionals[0] ?? '-'
}

module.exports = { signingOptions, signingHelp, checkSigningOptions, signedBytes, inputFile }
