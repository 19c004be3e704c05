'use strict'
const { UsageError, loadCrypto, toHex } = require('../lib/cli.js')
const { KEY_ALGORITHMS, checkAlgorithm, writeKeyFile } = require('../lib/keys.js')

module.exports = {
  summary: 'generate a key pair (ed25519, secp256k1, x25519)',
  usage: `Usage: ghostkit keygen <ed25519|secp256k1|x25519> [--out FILE] [--force]

Generates a key pair from the OS random source and prints it as JSON:
  { "algorithm", "secretKey" (hex), "publicKey" (hex), "address" (secp256k1: EIP-55) }
secp256k1 public keys are 33-byte compressed.

Options:
  --out FILE   write the JSON to FILE (mode 0600) and print only the public part
  --force      with --out, replace an existing FILE
  -h, --help   show this help`,
  options: {
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
  },

  run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('keygen takes one algorithm: ed25519, secp256k1 or x25519')
    const algorithm = checkAlgorithm(positionals[0], KEY_ALGORITHMS, 'keygen')
    if (values.force && values.out === undefined) throw new UsageError('--force only applies with --out')
    const gk = loadCrypto()
    const key = gk.SecretKey.generate(algorithm)
    const secretKey = key.export()
    try {
      const pub = { algorithm, publicKey: toHex(key.publicKey) }
      if (algorithm === 'secp256k1') pub.address = gk.eth.address(key.publicKey)
      const full = { algorithm, secretKey: toHex(secretKey), publicKey: pub.publicKey }
      if (pub.address) full.address = pub.address
      const json = (o) => JSON.stringify(o, null, 2) + '\n'
      if (values.out === undefined) {
        process.stdout.write(json(full))
      } else {
        writeKeyFile(values.out, json(full), values.force)
        process.stdout.write(json(pub))
      }
    } finally {
      secretKey.fill(0)
      key.dispose()
    }
    return 0
  },
}
