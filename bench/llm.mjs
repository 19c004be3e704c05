// ghostkit/llm against llama.cpp (llama-cpp-python 0.3.36 built from source, driven through
// its low-level bindings in a worker process: bench/llm-llamacpp.py) on the same GGUF file.
// Workloads and targets: shared/docs/BENCH.md — decode tokens/s (≥ 1.0×) and prompt
// tokens/s (≥ 0.8×) on gemma-3-270m Q4_K_M and stories260K, 1 and 2 threads.
//
//   node bench/llm.mjs [--quick] [--filter <substring>]   (or: npm run bench -- llm)
//
// Each "op" is one token. Decode batches time only the single-token steps after a short
// prompt; prompt batches time one evaluation of a fixed prompt from an empty cache. Both
// sides run greedy and their first tokens are checked to agree before anything is timed.
// Effective GB/s = decode tokens/s × bytes of weights read per token (model.metadata.weightBytes),
// against the machine's ~24–32 GB/s read bandwidth: the table's "(… GiB/s)" on decode rows.

import path from 'node:path'
import readline from 'node:readline'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { parseBenchArgs, runBenchmark } from './harness.mjs'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const { llamaCpp } = require('../scripts/peers/llama-cpp.js')
const { gemma3Model } = require('../scripts/peers/gemma3.js')

export const TARGETS = { decode: 1.0, prompt: 0.8 }

// Greedy tokens both engines must agree on before anything is timed. Kept short: further
// on, two candidates can sit within quantisation noise of each other (the engine tests
// check agreement over 32–48 tokens against the committed llama.cpp fixtures).
const CHECK_TOKENS = 8

const PROMPT_TEXT =
  'Once upon a time, in a small village by the sea, there lived a girl named Lily who loved to ' +
  'read books about faraway places. Every morning she walked along the shore, collecting shells ' +
  'and watching the fishing boats return with their catch. One day, she found a bottle with a ' +
  'letter inside. The letter was old and the ink had faded, but she could still read the first ' +
  'line: "To whoever finds this, the treasure is hidden under the old lighthouse." Lily ran home ' +
  'to tell her brother Tom, and together they made a plan to explore the lighthouse the next day.'

/** A llama.cpp worker process: send({op,...}) resolves to its JSON answer. */
function startWorker(peer) {
  const child = spawn(peer.python, [path.join(here, 'llm-llamacpp.py')], { env: peer.env, stdio: ['pipe', 'pipe', 'inherit'] })
  const rl = readline.createInterface({ input: child.stdout })
  const waiting = []
  rl.on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)))
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`llama.cpp worker exited (${code})`))
  })
  let cpuBase = 0
  return {
    async send(cmd) {
      const reply = await new Promise((resolve, reject) => {
        waiting.push({ resolve, reject })
        child.stdin.write(JSON.stringify(cmd) + '\n')
      })
      if (reply.error) throw new Error(`llama.cpp worker: ${reply.error}`)
      return reply
    },
    close() {
      child.stdin.end()
      return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)))
    },
    get cpuBase() {
      return cpuBase
    },
  }
}

async function ghostkitSide(llm, file, threads) {
  const model = await llm.loadModel(file, { threads, contextSize: 512, batchSize: 512 })
  const greedy = { temperature: 0, topK: 1, repeatPenalty: 1 }
  return {
    model,
    /** n decode steps after `prompt`: { wallSeconds (decode only), text }. */
    async decode(prompt, n) {
      const gen = model.generate(prompt, { ...greedy, maxTokens: n })
      let text = ''
      for await (const chunk of gen) text += chunk.text
      const { timings } = await gen.done
      // the first generated token comes from the prompt pass; the others are decode steps
      const steps = Math.max(timings.generatedTokens - 1, 1)
      return { wallSeconds: (timings.decodeMs / 1000) * (n / steps), text }
    },
    /** One prompt evaluation from an empty cache: { wallSeconds, tokens }. */
    async prompt(prompt) {
      const gen = model.generate(prompt, { ...greedy, maxTokens: 1 })
      for await (const _ of gen);
      const { timings } = await gen.done
      return { wallSeconds: timings.promptMs / 1000, tokens: timings.promptTokens }
    },
    close: () => model.dispose(),
  }
}

function caseDefs(name, file, { llm, peer, decodeTokens, decodePrompt, bytes }) {
  const cases = []
  for (const threads of [1, 2]) {
    let gk
    let worker
    let promptIds
    let promptTokens
    const shortPrompt = decodePrompt
    const setup = async () => {
      gk ??= await ghostkitSide(llm, file, threads)
      if (!worker) {
        worker = startWorker(peer)
        await worker.send({ op: 'load', model: file, threads, n_ctx: 512 })
        promptIds = (await worker.send({ op: 'tokenize', text: PROMPT_TEXT })).ids
        promptTokens = promptIds.length
      }
    }
    const teardown = async () => {
      await gk?.close()
      await worker?.close()
      gk = undefined
      worker = undefined
    }
    cases.push({
      name: `decode ${name} ${threads}T`,
      bytes,
      competitors: [
        {
          name: 'ghostkit',
          anchor: 'ghostkit',
          batchSize: decodeTokens,
          setup,
          async batch(n) {
            const r = await gk.decode(shortPrompt, n)
            return { wallSeconds: r.wallSeconds }
          },
          async output() {
            return (await gk.decode(shortPrompt, CHECK_TOKENS)).text
          },
        },
        {
          name: 'llama.cpp',
          anchor: 'decode',
          batchSize: decodeTokens,
          async batch(n) {
            const ids = (await worker.send({ op: 'tokenize', text: shortPrompt })).ids
            const r = await worker.send({ op: 'decode', ids, n })
            return { wallSeconds: r.wall, peerCpuSeconds: r.cpu }
          },
          async output() {
            const ids = (await worker.send({ op: 'tokenize', text: shortPrompt })).ids
            const r = await worker.send({ op: 'decode', ids, n: CHECK_TOKENS })
            return (await worker.send({ op: 'detokenize', ids: r.tokens })).text
          },
          teardown,
        },
      ],
    })
    // One op = one prompt token; a batch is one evaluation of the whole prompt (its
    // length is known once llama.cpp has tokenised it, when the case is set up).
    cases.push({
      name: `prompt ${name} ${threads}T`,
      competitors: [
        {
          name: 'ghostkit',
          anchor: 'ghostkit',
          setup,
          get batchSize() {
            return promptTokens
          },
          async batch() {
            const r = await gk.prompt(PROMPT_TEXT)
            if (r.tokens !== promptTokens) throw new Error(`prompt is ${r.tokens} tokens in ghostkit, ${promptTokens} in llama.cpp`)
            return { wallSeconds: r.wallSeconds }
          },
          output: () => promptTokens,
        },
        {
          name: 'llama.cpp',
          anchor: 'prompt',
          get batchSize() {
            return promptTokens
          },
          async batch() {
            const r = await worker.send({ op: 'prompt', ids: promptIds })
            return { wallSeconds: r.wall, peerCpuSeconds: r.cpu }
          },
          output: () => promptTokens,
          teardown,
        },
      ],
    })
  }
  return cases
}

export async function define() {
  const llm = require('../lib/llm.js')
  const peer = llamaCpp()
  const gemma = gemma3Model()
  const stories = path.join(here, '..', '..', 'shared', 'models', 'stories260K-f32.gguf')
  const info = { 'llama.cpp': `llama-cpp-python ${peer.version} (GGML_NATIVE, OpenMP)` }
  const sizes = {}
  for (const [n, f] of [['stories260K', stories], ['gemma-3-270m', gemma]]) {
    const m = await llm.loadModel(f, { threads: 1 })
    sizes[n] = m.metadata.weightBytes
    info[`${n} weights/token`] = `${(m.metadata.weightBytes / 2 ** 20).toFixed(1)} MiB`
    info['ghostkit CPU level'] = m.cpuLevel
    await m.dispose()
  }
  const cases = [
    ...caseDefs('stories260K', stories, { llm, peer, decodeTokens: 128, decodePrompt: 'Once upon a time', bytes: sizes.stories260K }),
    ...caseDefs('gemma-3-270m-Q4_K_M', gemma, { llm, peer, decodeTokens: 32, decodePrompt: 'The capital of France is', bytes: sizes['gemma-3-270m'] }),
  ]
  return { module: 'llm', targets: TARGETS, info, cases }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = parseBenchArgs(process.argv.slice(2))
  const report = await runBenchmark(await define(), opts)
  // effective bandwidth of decode: tokens/s × weight bytes
  for (const c of report.cases.filter((c) => c.bytes)) {
    for (const comp of c.competitors) {
      const gbps = (comp.medianOpsPerSecond * c.bytes) / 1e9
      console.log(`  ${c.name} ${comp.name}: ${gbps.toFixed(2)} GB/s effective`)
    }
  }
}
