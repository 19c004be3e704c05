'use strict'
const { UsageError, loadCrypto, parseHex } = require('../lib/cli.js')
const { readPublicKey } = require('../lib/keys.js')
const { signingOptions, signingHelp, checkSigningOptions, signedBytes, inputFile } = require('../lib/signing.js')

const EXIT_INVALID = 1

// An Ethereum signature is valid when it recovers to the expected address.
function verifyEth(gk, message, signature, pub) {
  const expected = pub.address !== undefined ? gk.eth.checksumAddress(pub.address) : gk.eth.address(pub.publicKey)
  try {
    return gk.eth.recoverAddress(message, signature) === expected
  } catch {
    return false
  }
}

function checkSignatureLength(signature, algorithm, eth) {
  const allowed = algorithm === 'ed25519' ? [64] : eth ? [65] : [64, 65]
  if (!allowed.includes(signature.length)) {
    throw new UsageError(`--sig must be ${allowed.join(' or ')} bytes here, not ${signature.length}`)
  }
}

module.exports = {
  summary: 'check a signature; prints valid or invalid (exit 0 or 1)',
  usage: `Usage: ghostkit verify --pub FILE|HEX --sig HEX [--algo ed25519|secp256k1] [--hash sha256|keccak256] [--eth] [file|-]

Prints 'valid' (exit 0) or 'invalid' (exit 1) for a signature made by 'ghostkit sign'
with the same options. The message is FILE, or standard input when FILE is '-' or missing.

Options:
  --pub P      a key file, a public key in hex (32 bytes Ed25519; 33 or 65 bytes
               secp256k1) or, with --eth, a 20-byte Ethereum address
  --sig HEX    the signature
${signingHelp}`,
  options: { pub: { type: 'string' }, sig: { type: 'string' }, ...signingOptions },

  async run({ values, positionals }) {
    if (values.pub === undefined) throw new UsageError('verify needs --pub FILE|HEX')
    if (values.sig === undefined) throw new UsageError('verify needs --sig HEX')
    const file = inputFile(positionals, 'verify')
    const pub = readPublicKey(values.pub, values.algo)
    checkSigningOptions(pub.algorithm, values)
    if (pub.address !== undefined && !values.eth) throw new UsageError('an address --pub needs --eth')
    const signature = parseHex(values.sig, '--sig')
    checkSignatureLength(signature, pub.algorithm, values.eth)
    const gk = loadCrypto()
    const bytes = await signedBytes(gk, pub.algorithm, values, file)
    let valid
    if (pub.algorithm === 'ed25519') valid = gk.ed25519.verify(signature, bytes, pub.publicKey)
    else if (values.eth) valid = verifyEth(gk, bytes, signature, pub)
    else valid = gk.secp256k1.verify(signature, bytes, pub.publicKey)
    process.stdout.write(valid ? 'valid\n' : 'invalid\n')
    return valid ? 0 : EXIT_INVALID
  },
}
