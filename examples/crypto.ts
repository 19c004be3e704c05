// Sign, verify, hash and encrypt with ghostkit/crypto.
// Run: node --experimental-strip-types examples/crypto.ts (Node >= 22.6), or compile with tsc.
import { crypto } from 'ghostkit'
import { SecretKey, aes256gcm, argon2id, eth, randomBytes, secp256k1, sha256 } from 'ghostkit/crypto'

async function main(): Promise<void> {
  // Ed25519 with a secret key held in native memory and zeroed on dispose.
  using key = SecretKey.generate('ed25519')
  const message = new TextEncoder().encode('transfer 5 GHOST to alice')
  const signature = crypto.ed25519.sign(message, key)
  console.log('ed25519 valid:', crypto.ed25519.verify(signature, message, key.publicKey))

  // Ethereum personal_sign, recoverable like ethers.
  const wallet = secp256k1.keygen()
  const ethSignature = eth.signMessage('hello ghost', wallet.secretKey)
  console.log('signer:', eth.recoverAddress('hello ghost', ethSignature), '=', eth.address(wallet.publicKey))

  // A passphrase-derived key seals a note.
  const salt = randomBytes(16)
  const noteKey = await argon2id(new TextEncoder().encode('correct horse'), salt, { t: 2, m: 19456, p: 1 })
  const nonce = randomBytes(12)
  const sealed = aes256gcm.seal(noteKey, nonce, message)
  const opened: Uint8Array = aes256gcm.open(noteKey, nonce, sealed)
  console.log('round trip:', Buffer.from(opened).toString(), 'sha256:', Buffer.from(sha256(opened)).toString('hex'))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
