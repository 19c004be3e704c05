// The benchmark harness shared by every module's bench/<module>.mjs.
//
// A benchmark is { module, cases, setup?, teardown?, info? }. A case is
// { name, bytes?, pairs?, check?, competitors }, and each competitor is one of
//   { name, anchor, fn }          fn() does one operation, sync or returning a Promise;
//                                 the value it returns is compared across competitors
//                                 before anything is timed (see `compare` below)
//   { name, anchor, batch }       batch(n) runs n operations however it likes (a peer
//                                 process, a load client…) and may resolve to
//                                 { wallSeconds, cpuSeconds, peerCpuSeconds } to report
//                                 its own measurements instead of the harness's
// plus optional setup()/teardown() (start and stop a peer process, open a connection),
// inFlight (async fn only: that many operations kept in flight), output() (the value
// to compare when fn/batch doesn't return one) and compare(output, ghostkitOutput).
// `anchor` names the anchor kind that carries the target ratio ('ghostkit' marks the
// competitor every other one is measured against; exactly one per case).
//
// Per case: each competitor is calibrated so one batch takes ~batchMs, warmed up,
// then sampled in `pairs` interleaved rounds (ghostkit, anchors…, then the reverse
// order in the next round). A ratio is ghostkit ops/s ÷ anchor ops/s within one round;
// the reported ratio is the median of those per-round ratios.

import { readFileSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results')

export const PROFILES = {
  full: { pairs: 7, batchMs: 150, warmupMs: 300, warmupBatches: 2 },
  quick: { pairs: 5, batchMs: 25, warmupMs: 40, warmupBatches: 1 },
}

/** Parses the options every bench understands: --quick, --filter <substring>. */
export function parseBenchArgs(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      filter: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  })
  return { quick: values.quick, filters: values.filter, help: values.help, modules: positionals }
}

export function machineInfo() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown'
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'))
    if (line) cpuModel = line.slice(line.indexOf(':') + 1).trim()
  } catch {}
  return {
    cpuModel,
    cpuCount: os.availableParallelism?.() ?? os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
  }
}

function median(values) {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function'
}

/** A comparable form of an operation's output: bytes as hex, everything else as JSON. */
export function normalizeOutput(v) {
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  if (v instanceof ArrayBuffer) return Buffer.from(v).toString('hex')
  if (typeof v === 'string') return /^(0x)?[0-9a-fA-F]*$/.test(v) ? v.replace(/^0x/, '').toLowerCase() : v
  return JSON.stringify(v)
}

// Turns any competitor into batch(n) -> { wallSeconds, cpuSeconds, peerCpuSeconds }.
function makeRunner(competitor) {
  if (competitor.batch) {
    return async (n) => {
      const cpu0 = process.cpuUsage()
      const t0 = process.hrtime.bigint()
      const reported = (await competitor.batch(n)) ?? {}
      const wall = Number(process.hrtime.bigint() - t0) / 1e9
      const cpu = process.cpuUsage(cpu0)
      return {
        wallSeconds: reported.wallSeconds ?? wall,
        cpuSeconds: reported.cpuSeconds ?? (cpu.user + cpu.system) / 1e6,
        peerCpuSeconds: reported.peerCpuSeconds,
      }
    }
  }
  const fn = competitor.fn
  let isAsync = competitor.async
  const inFlight = competitor.inFlight ?? 1
  return async (n) => {
    if (isAsync === undefined) {
      const probe = fn()
      isAsync = isThenable(probe)
      if (isAsync) await probe
    }
    const cpu0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    if (!isAsync) {
      for (let i = 0; i < n; i++) fn()
    } else if (inFlight <= 1) {
      for (let i = 0; i < n; i++) await fn()
    } else {
      let next = 0
      const lane = async () => {
        while (next < n) {
          next++
          await fn()
        }
      }
      await Promise.all(Array.from({ length: Math.min(inFlight, n) }, lane))
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    const cpu = process.cpuUsage(cpu0)
    return { wallSeconds: wall, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
  }
}

async function outputOf(competitor) {
  if (competitor.output) return competitor.output()
  if (competitor.fn) return competitor.fn()
  return undefined
}

// Runs every competitor once and checks it agrees with ghostkit, so a wrong answer is
// never benchmarked. Throws with the case and competitor named.
async function checkOutputs(kase, ghost) {
  const expected = await outputOf(ghost)
  for (const c of kase.competitors) {
    if (c === ghost) continue
    const got = await outputOf(c)
    const ok = c.compare ? c.compare(got, expected) : normalizeOutput(got) === normalizeOutput(expected)
    if (!ok) {
      throw new Error(
        `${kase.name}: ${c.name} disagrees with ${ghost.name}: ` +
          `${normalizeOutput(got).slice(0, 80)} != ${normalizeOutput(expected).slice(0, 80)}`,
      )
    }
  }
  if (kase.check) await kase.check()
}

// Finds n such that one batch of n operations takes about batchMs. One untimed call first
// keeps one-time set-up (lazy tables, JIT) out of the estimate; an operation slower than
// a whole batch (a KDF) runs one at a time.
async function calibrate(run, batchMs) {
  if ((await run(1)).wallSeconds * 1000 >= batchMs) return 1
  let n = 1
  for (;;) {
    const { wallSeconds } = await run(n)
    const ms = wallSeconds * 1000
    if (ms >= batchMs / 4 || n >= 2 ** 30) return scaleBatch(n, ms, batchMs)
    n = ms < batchMs / 100 ? n * 10 : n * 2
  }
}

function scaleBatch(n, ms, batchMs) {
  return Math.max(1, Math.round((n * batchMs) / Math.max(ms, 1e-3)))
}

// Runs at least `warmupBatches` full batches (unless one op fills a batch) and until
// warmupMs has passed since calibration started, re-scaling the batch after each so a
// skewed first estimate is corrected.
async function warmUp(run, n, startedAt, { warmupMs, warmupBatches, batchMs }) {
  for (let i = 0; (n > 1 && i < warmupBatches) || performance.now() - startedAt < warmupMs; i++) {
    const { wallSeconds } = await run(n)
    n = scaleBatch(n, wallSeconds * 1000, batchMs)
  }
  return n
}

function summarize(samples) {
  const rates = samples.map((s) => s.opsPerSecond)
  return {
    medianOpsPerSecond: median(rates),
    minOpsPerSecond: Math.min(...rates),
    maxOpsPerSecond: Math.max(...rates),
    wallSeconds: samples.reduce((a, s) => a + s.wallSeconds, 0),
    cpuSeconds: samples.reduce((a, s) => a + s.cpuSeconds, 0),
    peerCpuSeconds: samples.some((s) => s.peerCpuSeconds !== undefined)
      ? samples.reduce((a, s) => a + (s.peerCpuSeconds ?? 0), 0)
      : undefined,
  }
}

async function runCase(kase, profile, targets, log) {
  const ghost = kase.competitors.find((c) => c.anchor === 'ghostkit')
  if (!ghost) throw new Error(`${kase.name}: no competitor with anchor 'ghostkit'`)
  for (const c of kase.competitors) await c.setup?.()
  try {
    await checkOutputs(kase, ghost)
    const runners = new Map()
    for (const c of kase.competitors) {
      const run = makeRunner(c)
      const startedAt = performance.now()
      let n = c.batchSize
      if (n === undefined) n = await warmUp(run, await calibrate(run, profile.batchMs), startedAt, profile)
      runners.set(c, { run, n, samples: [] })
    }
    const pairs = Math.max(kase.pairs?.[profile.name] ?? profile.pairs, 1)
    for (let round = 0; round < pairs; round++) {
      const order = round % 2 === 0 ? kase.competitors : [...kase.competitors].reverse()
      for (const c of order) {
        const r = runners.get(c)
        const m = await r.run(r.n)
        r.samples.push({ ops: r.n, ...m, opsPerSecond: r.n / m.wallSeconds })
      }
    }
    const ghostSamples = runners.get(ghost).samples
    const competitors = kase.competitors.map((c) => {
      const { n, samples } = runners.get(c)
      const out = { name: c.name, anchor: c.anchor, batchSize: n, ...summarize(samples), samples }
      if (c !== ghost) {
        const ratios = samples.map((s, i) => ghostSamples[i].opsPerSecond / s.opsPerSecond)
        const target = c.target ?? targets[c.anchor]
        Object.assign(out, {
          ratios,
          ratio: median(ratios),
          minRatio: Math.min(...ratios),
          maxRatio: Math.max(...ratios),
          target: target ?? null,
          met: target === undefined ? null : median(ratios) >= target,
        })
      }
      return out
    })
    const result = { name: kase.name, bytes: kase.bytes ?? null, pairs, competitors }
    log(formatCaseLine(result))
    return result
  } finally {
    for (const c of kase.competitors) await c.teardown?.()
  }
}

function fmtRate(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`
  if (v >= 10) return v.toFixed(0)
  return v.toFixed(2)
}

function fmtThroughput(opsPerSecond, bytes) {
  if (!bytes) return ''
  const mib = (opsPerSecond * bytes) / 2 ** 20
  return mib >= 1000 ? ` (${(mib / 1024).toFixed(2)} GiB/s)` : ` (${mib.toFixed(mib >= 10 ? 0 : 1)} MiB/s)`
}

function formatCaseLine(r) {
  const parts = r.competitors.map((c) => {
    const ratio = c.ratio === undefined ? '' : ` ×${c.ratio.toFixed(2)}${c.met === false ? '!' : ''}`
    return `${c.name} ${fmtRate(c.medianOpsPerSecond)}/s${ratio}`
  })
  return `  ${r.name}: ${parts.join(' | ')}`
}

export function markdownTable(report) {
  const { machine } = report
  const lines = [
    `# ${report.module} benchmark`,
    '',
    `${report.date} · ${machine.cpuModel} (${machine.cpuCount} cores) · Node ${machine.node}` +
      (report.info ? ` · ${Object.entries(report.info).map(([k, v]) => `${k} ${v}`).join(' · ')}` : '') +
      ` · ${report.profile} profile, ${report.cases[0]?.pairs ?? 0} interleaved rounds`,
    '',
    'Ratio = ghostkit ops/s ÷ anchor ops/s, the median of per-round ratios (min–max in brackets). ' +
      'CPU s / wall s is this process’s CPU time over the wall time of all samples.',
    '',
    '| case | competitor | median ops/s | min–max ops/s | ghostkit ratio | target | met? | CPU s / wall s |',
    '|------|------------|-------------:|--------------:|---------------:|-------:|:----:|---------------:|',
  ]
  for (const r of report.cases) {
    for (const c of r.competitors) {
      const ratio =
        c.ratio === undefined
          ? '—'
          : `${c.ratio.toFixed(2)}× (${c.minRatio.toFixed(2)}–${c.maxRatio.toFixed(2)})`
      const target = c.target == null ? '—' : `≥ ${Number.isInteger(c.target) ? c.target.toFixed(1) : c.target}×`
      const met = c.met == null ? '—' : c.met ? 'yes' : '**no**'
      const peer = c.peerCpuSeconds === undefined ? '' : ` + peer ${c.peerCpuSeconds.toFixed(2)}`
      lines.push(
        `| ${r.name} | ${c.name} | ${fmtRate(c.medianOpsPerSecond)}${fmtThroughput(c.medianOpsPerSecond, r.bytes)} | ` +
          `${fmtRate(c.minOpsPerSecond)}–${fmtRate(c.maxOpsPerSecond)} | ${ratio} | ${target} | ${met} | ` +
          `${c.cpuSeconds.toFixed(2)}${peer} / ${c.wallSeconds.toFixed(2)} |`,
      )
    }
  }
  const judged = report.cases.flatMap((r) => r.competitors.filter((c) => c.met != null))
  const missed = judged.filter((c) => !c.met).length
  lines.push('', `Targets met: ${judged.length - missed} of ${judged.length}.`, '')
  return lines.join('\n')
}

/**
 * Runs one benchmark definition and writes bench/results/<module>.json and .md.
 * `targets` maps an anchor kind to the minimum ghostkit/anchor ratio.
 */
export async function runBenchmark(bench, { quick = false, filters = [], log = console.log } = {}) {
  const profile = { name: quick ? 'quick' : 'full', ...(quick ? PROFILES.quick : PROFILES.full) }
  const wanted = (name) => filters.length === 0 || filters.some((f) => name.toLowerCase().includes(f.toLowerCase()))
  const cases = bench.cases.filter((c) => wanted(c.name))
  log(`${bench.module}: ${cases.length} case(s), ${profile.name} profile`)
  await bench.setup?.()
  const results = []
  const started = performance.now()
  try {
    for (const kase of cases) results.push(await runCase(kase, profile, bench.targets ?? {}, log))
  } finally {
    await bench.teardown?.()
  }
  const report = {
    module: bench.module,
    date: new Date().toISOString(),
    profile: profile.name,
    filters,
    durationSeconds: (performance.now() - started) / 1000,
    machine: machineInfo(),
    info: bench.info ?? {},
    targets: bench.targets ?? {},
    cases: results,
  }
  mkdirSync(RESULTS_DIR, { recursive: true })
  const base = path.join(RESULTS_DIR, bench.module)
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(`${base}.md`, markdownTable(report))
  log(`${bench.module}: ${report.durationSeconds.toFixed(1)} s; wrote ${path.relative(process.cwd(), base)}.{json,md}`)
  return report
}
