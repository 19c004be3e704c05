#!/usr/bin/env node
'use strict'
// `npm test`: every check of the project, in order, stopping at the first failure.
//   lint:  zig fmt --check, cargo fmt --check, cargo clippy -D warnings, tsc --noEmit (examples)
//   zig:   the Zig libraries' own tests (ReleaseSafe: safety checks on)
//   cargo: cargo test of the workspace
//   node:  the node:test suites, then the crypto vector suites again under every other
//          CPU level this machine runs (GHOSTKIT_CPU_LEVEL)
// `npm test -- --only node,zig` runs a subset.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { ensureZig, root } = require('./toolchain.js')

const STEPS = ['lint', 'zig', 'cargo', 'node']
const onlyArg = process.argv.find((a) => a.startsWith('--only'))
const only = onlyArg ? (onlyArg.split('=')[1] ?? process.argv[process.argv.indexOf(onlyArg) + 1]).split(',') : STEPS
for (const step of only) {
  if (!STEPS.includes(step)) {
    console.error(`ghostkit test: unknown step ${step} (steps: ${STEPS.join(', ')})`)
    process.exit(2)
  }
}

const zig = ensureZig()
const env = { ...process.env, ZIG: zig }
const timings = []

function run(label, command, args, extraEnv = {}) {
  const started = Date.now()
  console.error(`\n▶ ${label}: ${[command, ...args].join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } })
  const seconds = (Date.now() - started) / 1000
  timings.push([label, seconds])
  if (result.error) throw result.error
  if (result.status !== 0) {
    console.error(`\n✖ ${label} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status || 1)
  }
}

function testFiles(dir) {
  const found = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) found.push(...testFiles(full))
    else if (entry.name.endsWith('.test.mjs') || entry.name.endsWith('.test.js')) found.push(full)
  }
  return found.sort()
}

/** Translates zig/include/*.h into Zig modules for `zig test` (build.rs does the same). */
function translateHeaders(outDir) {
  fs.mkdirSync(outDir, { recursive: true })
  const out = path.join(outDir, 'zcrypto_h.zig')
  const result = spawnSync(zig, ['translate-c', path.join(root, 'zig/include/zcrypto.h'), '-lc'], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (result.status !== 0) {
    console.error(result.stderr)
    process.exit(1)
  }
  fs.writeFileSync(out, result.stdout)
  return out
}

/** Translates one more header of zig/include into a Zig module at `out`. */
function translateHeader(name, out) {
  const result = spawnSync(zig, ['translate-c', path.join(root, 'zig/include', name), '-lc'], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (result.status !== 0) {
    console.error(result.stderr)
    process.exit(1)
  }
  fs.writeFileSync(out, result.stdout)
}

if (only.includes('lint')) {
  run('zig fmt', zig, ['fmt', '--check', 'zig'])
  run('cargo fmt', 'cargo', ['fmt', '--all', '--', '--check'])
  run('cargo clippy', 'cargo', ['clippy', '--workspace', '--all-targets', '--', '-D', 'warnings'])
  run('tsc examples', process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'examples/tsconfig.json'])
}

if (only.includes('zig')) {
  const header = translateHeaders(path.join(root, 'target', 'zig-test'))
  run('zig test (crypto)', zig, [
    'test', '-O', 'ReleaseSafe', '--dep', 'zcrypto_h', `-Mroot=${path.join(root, 'zig/src/crypto/zcrypto.zig')}`, `-Mzcrypto_h=${header}`,
    '--cache-dir', path.join(root, 'target', 'zig-test', 'cache'),
  ])
  // llm text side: tokenizer (vs llama.cpp fixtures, incl. the gemma-3 vocabulary), sampler, chat templates
  run('zig test (llm text)', zig, [
    'test', '-O', 'ReleaseSafe', path.join(root, 'zig/src/llm/text_tests.zig'),
    '--cache-dir', path.join(root, 'target', 'zig-test', 'cache'),
  ], { GHOSTKIT_GEMMA_GGUF: require('./peers/gemma3.js').gemma3Model() })
  // llm engine: GGUF loader (fuzzed), kernels vs dequantised reference, thread pool, stories260K vs llama.cpp
  run('zig test (llm engine)', zig, [
    'test', '-O', 'ReleaseSafe', '-lc', path.join(root, 'zig/src/llm/engine_test.zig'),
    '--cache-dir', path.join(root, 'target', 'zig-test', 'cache'),
  ])
  const sqlcipherHeader = path.join(root, 'target', 'zig-test', 'zsqlcipher_h.zig')
  translateHeader('zsqlcipher.h', sqlcipherHeader)
  run('zig test (sqlcipher)', zig, [
    'test', '-O', 'ReleaseSafe', '--dep', 'zsqlcipher_h', '--dep', 'zcrypto_h', '--dep', 'zcrypto',
    `-Mroot=${path.join(root, 'zig/src/sqlcipher/provider.zig')}`, `-Mzsqlcipher_h=${sqlcipherHeader}`,
    `-Mzcrypto_h=${header}`, '--dep', 'zcrypto_h', `-Mzcrypto=${path.join(root, 'zig/src/crypto/zcrypto.zig')}`,
    '--cache-dir', path.join(root, 'target', 'zig-test', 'cache'),
  ])
}

if (only.includes('cargo')) {
  run('cargo test', 'cargo', ['test', '--workspace', '--exclude', 'ghostkit-node'])
}

if (only.includes('node')) {
  const files = testFiles(path.join(root, '__test__'))
  run('node --test', process.execPath, ['--test', '--test-reporter=spec', ...files])
  const { availableCpuLevels, cpuLevel } = require('../lib/crypto.js')
  const vectorSuites = files.filter((f) => /__test__[\\/]crypto[\\/](wycheproof|crosscheck)\.test\.mjs$/.test(f))
  if (vectorSuites.length !== 2) {
    console.error('ghostkit test: the crypto vector suites are missing')
    process.exit(1)
  }
  for (const level of availableCpuLevels.filter((l) => l !== cpuLevel)) {
    run(`node --test (GHOSTKIT_CPU_LEVEL=${level})`, process.execPath, ['--test', '--test-reporter=spec', ...vectorSuites], {
      GHOSTKIT_CPU_LEVEL: level,
    })
  }
}

console.error('\nghostkit test: all steps passed')
for (const [label, seconds] of timings) console.error(`  ${seconds.toFixed(1).padStart(7)} s  ${label}`)
