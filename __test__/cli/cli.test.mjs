// The ghostkit CLI, run as a child process: key generation, sign/verify round trips,
// Ethereum personal_sign against ethers, streaming hashes, and usage errors.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Wallet } from 'ethers'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { blake3 } from '@noble/hashes/blake3.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = path.join(ROOT, 'bin/ghostkit.js')
const dir = mkdtempSync(path.join(tmpdir(), 'ghostkit-cli-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

function ghostkit(args, input) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input: input ?? '', encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function ok(args, input) {
  const r = ghostkit(args, input)
  assert.equal(r.code, 0, `ghostkit ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout.trim()
}

function file(name, content) {
  const p = path.join(dir, name)
  writeFileSync(p, content)
  return p
}

// A usage or runtime error is one line on stderr, prefixed, and never a stack trace.
function assertCleanError(r, code) {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: ${r.stderr}`)
  assert.match(r.stderr, /^ghostkit: \S.*\n$/)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
  assert.equal(r.stdout, '')
}

const message = file('message.txt', 'pay 1 GHOST to alice\n')
const tampered = file('tampered.txt', 'pay 9 GHOST to alice\n')

test('--help, <command> --help and --version', () => {
  assert.match(ok(['--help']), /Usage: ghostkit <command>[\s\S]*keygen[\s\S]*verify/)
  assert.match(ok(['sign', '--help']), /Usage: ghostkit sign --key/)
  assert.match(ok(['help', 'hash']), /Usage: ghostkit hash/)
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  assert.equal(ok(['--version']), version)
})

test('keygen prints a key pair for each algorithm', () => {
  for (const [algorithm, pubBytes] of [['ed25519', 32], ['secp256k1', 33], ['x25519', 32]]) {
    const key = JSON.parse(ok(['keygen', algorithm]))
    assert.equal(key.algorithm, algorithm)
    assert.match(key.secretKey, /^[0-9a-f]{64}$/)
    assert.equal(Buffer.from(key.publicKey, 'hex').length, pubBytes)
    if (algorithm === 'secp256k1') assert.equal(key.address, new Wallet('0x' + key.secretKey).address)
    else assert.equal(key.address, undefined)
  }
})

test('keygen --out writes a 0600 file, prints only the public part, refuses to overwrite', () => {
  const out = path.join(dir, 'out-key.json')
  const shown = JSON.parse(ok(['keygen', 'secp256k1', '--out', out]))
  assert.equal(shown.secretKey, undefined)
  const saved = JSON.parse(readFileSync(out, 'utf8'))
  assert.equal(saved.publicKey, shown.publicKey)
  assert.equal(saved.address, shown.address)
  assert.match(saved.secretKey, /^[0-9a-f]{64}$/)
  assert.equal(statSync(out).mode & 0o777, 0o600)

  assertCleanError(ghostkit(['keygen', 'secp256k1', '--out', out]), 1)
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), saved)
  const replaced = JSON.parse(ok(['keygen', 'ed25519', '--out', out, '--force']))
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).publicKey, replaced.publicKey)
  assert.equal(statSync(out).mode & 0o777, 0o600)
})

test('ed25519: sign then verify, from a key file and from hex', () => {
  const keyFile = path.join(dir, 'ed.json')
  ok(['keygen', 'ed25519', '--out', keyFile])
  const key = JSON.parse(readFileSync(keyFile, 'utf8'))
  const sig = ok(['sign', '--key', keyFile, message])
  assert.match(sig, /^[0-9a-f]{128}$/)
  assert.equal(ok(['sign', '--key', key.secretKey, '--algo', 'ed25519', '-'], readFileSync(message)), sig)

  assert.equal(ok(['verify', '--pub', keyFile, '--sig', sig, message]), 'valid')
  assert.equal(ok(['verify', '--pub', key.publicKey, '--sig', sig, '-'], readFileSync(message)), 'valid')
  const bad = ghostkit(['verify', '--pub', key.publicKey, '--sig', sig, tampered])
  assert.equal(bad.code, 1)
  assert.equal(bad.stdout.trim(), 'invalid')
})

test('secp256k1: sign then verify with sha256 and keccak256 digests', () => {
  const keyFile = path.join(dir, 'k1.json')
  ok(['keygen', 'secp256k1', '--out', keyFile])
  const { publicKey } = JSON.parse(readFileSync(keyFile, 'utf8'))
  for (const hash of ['sha256', 'keccak256']) {
    const sig = ok(['sign', '--key', keyFile, '--hash', hash, message])
    assert.match(sig, /^[0-9a-f]{128}$/)
    assert.equal(ok(['verify', '--pub', publicKey, '--hash', hash, '--sig', sig, message]), 'valid')
    const bad = ghostkit(['verify', '--pub', publicKey, '--hash', hash, '--sig', sig, tampered])
    assert.equal(bad.code, 1)
    assert.equal(bad.stdout.trim(), 'invalid')
  }
  const sha = ok(['sign', '--key', keyFile, message])
  assert.equal(ghostkit(['verify', '--pub', publicKey, '--hash', 'keccak256', '--sig', sha, message]).code, 1)
})

test('secp256k1 --eth matches ethers Wallet.signMessage and verifies by address', async () => {
  const keyFile = path.join(dir, 'eth.json')
  ok(['keygen', 'secp256k1', '--out', keyFile])
  const key = JSON.parse(readFileSync(keyFile, 'utf8'))
  const wallet = new Wallet('0x' + key.secretKey)
  const sig = ok(['sign', '--key', keyFile, '--eth', message])
  assert.equal(sig, await wallet.signMessage(readFileSync(message)))
  const binary = file('binary.bin', randomBytes(300))
  assert.equal(ok(['sign', '--key', keyFile, '--eth', binary]), await wallet.signMessage(readFileSync(binary)))

  assert.equal(ok(['verify', '--pub', wallet.address, '--eth', '--sig', sig, message]), 'valid')
  assert.equal(ok(['verify', '--pub', keyFile, '--eth', '--sig', sig, message]), 'valid')
  const bad = ghostkit(['verify', '--pub', wallet.address, '--eth', '--sig', sig, tampered])
  assert.equal(bad.code, 1)
  assert.equal(bad.stdout.trim(), 'invalid')
})

test('hash of a multi-chunk file equals node:crypto and @noble/hashes', () => {
  const data = randomBytes(3 * 1024 * 1024 + 17)
  const big = file('big.bin', data)
  for (const name of ['sha256', 'sha512', 'sha3-256', 'sha3-512']) {
    assert.equal(ok(['hash', name, big]), createHash(name).update(data).digest('hex'), name)
  }
  assert.equal(ok(['hash', 'keccak256', big]), Buffer.from(keccak_256(data)).toString('hex'))
  assert.equal(ok(['hash', 'blake3', big]), Buffer.from(blake3(data)).toString('hex'))
})

test('hash - reads standard input', () => {
  const data = randomBytes(200_000)
  const expected = createHash('sha256').update(data).digest('hex')
  assert.equal(ok(['hash', 'sha256', '-'], data), expected)
  assert.equal(ok(['hash', 'sha256'], data), expected)
  assert.equal(ok(['hash', 'sha256'], ''), createHash('sha256').digest('hex'))
})

test('bad usage exits 2 with a one-line message and no stack trace', () => {
  const keyFile = path.join(dir, 'usage-ed.json')
  ok(['keygen', 'ed25519', '--out', keyFile])
  for (const args of [
    [],
    ['frobnicate'],
    ['--bogus'],
    ['keygen'],
    ['keygen', 'rsa'],
    ['keygen', 'ed25519', '--colour'],
    ['hash', 'md5', message],
    ['hash'],
    ['sign', message],
    ['sign', '--key', 'zz-not-hex-nor-file', message],
    ['sign', '--key', '11'.repeat(32), message],
    ['sign', '--key', keyFile, '--eth', message],
    ['sign', '--key', keyFile, '--algo', 'secp256k1', message],
    ['verify', '--pub', '11'.repeat(32), message],
    ['verify', '--pub', '11'.repeat(32), '--sig', 'xyz', message],
    ['verify', '--pub', '11'.repeat(32), '--sig', '00', message],
  ]) {
    assertCleanError(ghostkit(args), 2)
  }
})

test('runtime errors exit 1 with a one-line message', () => {
  assertCleanError(ghostkit(['hash', 'sha256', path.join(dir, 'missing.bin')]), 1)
  assertCleanError(ghostkit(['sign', '--key', file('junk.json', '{oops'), message]), 1)
})
