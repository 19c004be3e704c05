// npm run bench [-- <module> …] [--quick] [--filter <substring>]
// Runs bench/<module>.mjs for each named module, or every module that has one. A module
// file exports `define()`, resolving to a benchmark for harness.runBenchmark().

import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseBenchArgs, runBenchmark } from './harness.mjs'

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url))
const NOT_MODULES = new Set(['harness.mjs', 'run.mjs'])

const USAGE = `usage: npm run bench [-- <module> …] [--quick] [--filter <substring>]…
  <module>            one of: MODULES (default: all)
  --quick             fewer rounds and shorter batches, for a smoke test
  --filter <text>     only cases whose name contains <text> (case-insensitive; repeatable)`

function availableModules() {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.mjs') && !NOT_MODULES.has(f))
    .map((f) => f.slice(0, -'.mjs'.length))
    .sort()
}

async function main() {
  const available = availableModules()
  let opts
  try {
    opts = parseBenchArgs(process.argv.slice(2))
  } catch (err) {
    console.error(`bench: ${err.message}`)
    return 2
  }
  if (opts.help) {
    console.log(USAGE.replace('MODULES', available.join(', ')))
    return 0
  }
  const unknown = opts.modules.filter((m) => !available.includes(m))
  if (unknown.length) {
    console.error(`bench: no benchmark for ${unknown.join(', ')} (have: ${available.join(', ')})`)
    return 2
  }
  const modules = opts.modules.length ? opts.modules : available
  let failed = 0
  for (const name of modules) {
    try {
      const mod = await import(pathToFileURL(path.join(BENCH_DIR, `${name}.mjs`)).href)
      await runBenchmark(await mod.define(opts), opts)
    } catch (err) {
      failed++
      console.error(`bench: ${name} failed: ${err.stack ?? err}`)
    }
  }
  return failed ? 1 : 0
}

process.exitCode = await main()
