// ghostkit/crypto `eth` vs ethers 6: addresses, EIP-191 personal_sign, recovery, EIP-55 checksums.
// Deterministic: the seed is printed; replay with GHOSTKIT_TEST_SEED=<seed>.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Wallet, getAddress, hashMessage, verifyMessage, computeAddress, getBytes, hexlify } from 'ethers'
import { loadCrypto, hex, utf8, assertBytes, throwsCode, makeRng, checkCpuLevel } from './_helpers.mjs'

const crypto = loadCrypto()
const { eth } = crypto
const rng = makeRng()

function randomWallet() {
  for (;;) {
    const sk = rng.bytes(32)
    if (crypto.secp256k1.isValidSecretKey(sk)) return { sk, wallet: new Wallet(hexlify(sk)) }
  }
}

const STRINGS = ['', 'hello', 'Hello, world!', '0x1234', '\x19', 'ünïcödé ✓ 鍵 🔑', 'a'.repeat(1000), 'line1\nline2']
function randomMessage() {
  const k = rng.int(0, 3)
  if (k === 0) return rng.pick(STRINGS)
  if (k === 1) return String.fromCodePoint(...Array.from({ length: rng.int(0, 40) }, () => rng.pick([rng.int(0x20, 0x7e), rng.int(0xa0, 0xd7ff), rng.int(0x1f300, 0x1f6ff)])))
  return rng.bytes(rng.pick([0, 1, 32, 65, rng.int(0, 500)]))
}
const show = (m) => (typeof m === 'string' ? JSON.stringify(m.length > 40 ? m.slice(0, 40) + '…' : m) : `bytes(${m.length})`)

describe('eth vs ethers 6', () => {
  it('cpu level and seed', (t) => {
    checkCpuLevel(t, crypto)
    t.diagnostic(`eth seed = ${rng.seed} (replay: GHOSTKIT_TEST_SEED=${rng.seed})`)
  })

  it('address(publicKey) === wallet.address for 33- and 65-byte keys (150 wallets)', () => {
    for (let i = 0; i < 150; i++) {
      const { sk, wallet } = randomWallet()
      const pubU = getBytes(wallet.signingKey.publicKey)
      const pubC = getBytes(wallet.signingKey.compressedPublicKey)
      assertBytes(crypto.secp256k1.getPublicKey(sk), pubC, `getPublicKey vs ethers ${i}`)
      assert.equal(eth.address(pubU), wallet.address, `address(uncompressed) ${i}`)
      assert.equal(eth.address(pubC), wallet.address, `address(compressed) ${i}`)
      assert.equal(eth.address(crypto.secp256k1.getPublicKey(sk, false)), computeAddress(hexlify(pubU)), `address vs computeAddress ${i}`)
    }
  })

  it('signMessage === ethers signMessage; recoverAddress === verifyMessage (150 wallets, string and bytes)', async () => {
    for (let i = 0; i < 150; i++) {
      const { sk, wallet } = randomWallet()
      const msg = randomMessage()
      const want = i < 10 ? await wallet.signMessage(msg) : wallet.signMessageSync(msg)
      const sig = eth.signMessage(msg, sk)
      assertBytes(sig, getBytes(want), `signMessage ${i} ${show(msg)}`)
      assert.ok(sig[64] === 27 || sig[64] === 28, `v is 27|28, got ${sig[64]}`)
      assert.equal(eth.recoverAddress(msg, getBytes(want)), verifyMessage(msg, want), `recoverAddress ${i} ${show(msg)}`)
      assert.equal(eth.recoverAddress(msg, sig), wallet.address, `recoverAddress = signer ${i}`)
      // Another message: recovers to whatever ethers recovers (not the signer).
      const other = typeof msg === 'string' ? msg + '!' : new Uint8Array([...msg, 1])
      const got = eth.recoverAddress(other, sig)
      assert.equal(got, verifyMessage(other, want), `recoverAddress other message ${i}`)
      assert.notEqual(got, wallet.address, `other message must not recover the signer ${i}`)
    }
  })

  it('hashMessage === ethers.hashMessage for strings and bytes (300 messages)', () => {
    for (const s of STRINGS) assertBytes(eth.hashMessage(s), getBytes(hashMessage(s)), `hashMessage ${show(s)}`)
    for (let i = 0; i < 300; i++) {
      const msg = randomMessage()
      assertBytes(eth.hashMessage(msg), getBytes(hashMessage(msg)), `hashMessage ${show(msg)}`)
    }
    // A string is hashed as its UTF-8 bytes (so '0x1234' is 6 bytes, not 2).
    assert.equal(hex(eth.hashMessage('0x1234')), hex(eth.hashMessage(utf8('0x1234'))))
    assert.notEqual(hex(eth.hashMessage('0x1234')), hex(eth.hashMessage(Uint8Array.of(0x12, 0x34))))
  })

  it('checksumAddress === ethers.getAddress (300 random addresses, any case, with/without 0x)', () => {
    for (let i = 0; i < 300; i++) {
      const lower = hex(rng.bytes(20))
      const want = getAddress('0x' + lower)
      for (const input of ['0x' + lower, lower, '0x' + lower.toUpperCase(), lower.toUpperCase(), want, want.slice(2)]) {
        assert.equal(eth.checksumAddress(input), want, `checksumAddress(${input})`)
      }
    }
    // Known EIP-55 vectors.
    for (const a of ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb']) {
      assert.equal(eth.checksumAddress(a.toLowerCase()), a)
      assert.equal(getAddress(a.toLowerCase()), a)
    }
  })

  it('checksumAddress throws where ethers.getAddress throws', () => {
    const good = getAddress('0x' + hex(rng.bytes(20)))
    // A mixed-case address with one letter's case flipped has a wrong checksum.
    const letters = [...good.slice(2)].map((c, i) => (/[a-fA-F]/.test(c) ? i + 2 : -1)).filter((i) => i >= 0)
    const j = letters[0]
    const badChecksum = good.slice(0, j) + (good[j] === good[j].toLowerCase() ? good[j].toUpperCase() : good[j].toLowerCase()) + good.slice(j + 1)
    const bad = [
      '', '0x', good.slice(0, 41), good + '0', good.slice(2, 41), '0x' + 'g'.repeat(40), good.slice(0, 41) + 'z',
      ' ' + good, good + ' ', '0X' + good.slice(2).toLowerCase(), '00' + good.slice(2), badChecksum,
    ]
    for (const input of bad) {
      assert.throws(() => getAddress(input), `ethers self-check: getAddress(${JSON.stringify(input)}) throws`)
      let ret
      try {
        ret = eth.checksumAddress(input)
      } catch (e) {
        assert.ok(e instanceof Error, `checksumAddress(${JSON.stringify(input)}) threw a non-Error`)
        assert.match(String(e.code), /^ERR_GHOSTKIT_/, `checksumAddress(${JSON.stringify(input)}) error has a ghostkit code (got ${e.code})`)
        continue
      }
      assert.fail(`checksumAddress(${JSON.stringify(input)}) returned ${ret}, expected a throw (ethers.getAddress throws)`)
    }
    for (const v of [undefined, null, 123, utf8(good), [good]]) {
      throwsCode(() => eth.checksumAddress(v), 'ERR_GHOSTKIT_INVALID_ARG_TYPE', TypeError, `checksumAddress(${typeof v})`)
    }
  })

  it('eth accepts a SecretKey and agrees with ethers', () => {
    const { sk, wallet } = randomWallet()
    const key = crypto.SecretKey.from('secp256k1', sk)
    try {
      assert.equal(hex(eth.signMessage('ghostkit', key)), hex(getBytes(wallet.signMessageSync('ghostkit'))))
      assert.equal(eth.address(key.publicKey), wallet.address)
    } finally {
      key.dispose()
    }
  })

  it('recoverAddress rejects unrecoverable signatures (r = 0) with ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE', () => {
    const sig = new Uint8Array(65)
    sig[63] = 1
    sig[64] = 27
    throwsCode(() => eth.recoverAddress('x', sig), 'ERR_GHOSTKIT_CRYPTO_INVALID_SIGNATURE', crypto.CryptoError)
    // ethers agrees it is not a valid signature
    assert.throws(() => verifyMessage('x', hexlify(sig)))
  })
})
