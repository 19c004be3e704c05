'use strict'
const { UsageError, loadCrypto, toHex } = require('../lib/cli.js')
const { readSecretKey } = require('../lib/keys.js')
const { signingOptions, signingHelp, checkSigningOptions, signedBytes, inputFile } = require('../lib/signing.js')

module.exports = {
  summary: 'sign a file or standard input',
  usage: `Usage: ghostkit sign --key FILE|HEX [--algo ed25519|secp256k1] [--hash sha256|keccak256] [--eth] [file|-]

Prints the signature in hex. Ed25519 signs the message bytes (64-byte signature);
secp256k1 signs the digest of the message (64-byte r‖s, low-S), or with --eth the
EIP-191 personal_sign hash (65-byte r‖s‖v, as ethers' signMessage returns).
The message is FILE, or standard input when FILE is '-' or missing.

Options:
  --key K      a key file from 'ghostkit keygen --out', or the 32-byte secret key in hex
${signingHelp}`,
  options: { key: { type: 'string' }, ...signingOptions },

  async run({ values, positionals }) {
    if (values.key === undefined) throw new UsageError('sign needs --key FILE|HEX')
    const file = inputFile(positionals, 'sign')
    const { algorithm, secretKey } = readSecretKey(values.key, values.algo)
    checkSigningOptions(algorithm, values)
    const gk = loadCrypto()
    const key = gk.SecretKey.from(algorithm, secretKey)
    secretKey.fill(0)
    try {
      const bytes = await signedBytes(gk, algorithm, values, file)
      let signature
      if (algorithm === 'ed25519') signature = toHex(gk.ed25519.sign(bytes, key))
      else if (values.eth) signature = '0x' + toHex(gk.eth.signMessage(bytes, key))
      else signature = toHex(gk.secp256k1.sign(bytes, key))
      process.stdout.write(signature + '\n')
    } finally {
      key.dispose()
    }
    return 0
  },
}
