'use strict'
// Shared pieces of the llm commands (generate, chat, llm serve): sampling options, opening
// a local model (with a load progress bar on a terminal) or a remote server, and streaming
// a generation to standard output.

const fs = require('node:fs')
const { UsageError, RuntimeError, firstLine } = require('./cli.js')

/** parseArgs options shared by the commands that generate text. */
const SAMPLING_OPTIONS = {
  'max-tokens': { type: 'string', short: 'n' },
  temperature: { type: 'string', short: 't' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
  'repeat-penalty': { type: 'string' },
  'presence-penalty': { type: 'string' },
  'frequency-penalty': { type: 'string' },
  seed: { type: 'string' },
  stop: { type: 'string', multiple: true },
}

/** parseArgs options that choose the model: a local file or a remote server. */
const MODEL_OPTIONS = {
  model: { type: 'string', short: 'm' },
  threads: { type: 'string' },
  'context-size': { type: 'string' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  'remote-model': { type: 'string' },
}

const SAMPLING_HELP = `  -n, --max-tokens N        stop after N tokens
  -t, --temperature T       0 = greedy
      --top-k K, --top-p P, --min-p P
      --repeat-penalty R, --presence-penalty P, --frequency-penalty F
      --seed S              same seed, same output
      --stop TEXT           stop before TEXT (repeatable)`

const MODEL_HELP = `  -m, --model FILE          a GGUF model file (llama or gemma3 architecture)
      --threads N           worker threads (default: the CPU count)
      --context-size N      tokens of context (default: the model's, capped)
      --url URL             use an OpenAI-compatible server instead (e.g. http://127.0.0.1:8080/v1)
      --api-key KEY         API key for --url (default: $GHOSTKIT_LLM_API_KEY)
      --remote-model NAME   the model name sent to --url`

function number(values, key, { integer = false, min = -Infinity, max = Infinity } = {}) {
  const raw = values[key]
  if (raw === undefined) return undefined
  const v = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new UsageError(`--${key} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}`)
  }
  return v
}

/** Generation options from the parsed command line. */
function samplingOptions(values) {
  const o = {}
  const set = (name, v) => {
    if (v !== undefined) o[name] = v
  }
  set('maxTokens', number(values, 'max-tokens', { integer: true, min: 1 }))
  set('temperature', number(values, 'temperature', { min: 0 }))
  set('topK', number(values, 'top-k', { integer: true, min: 0 }))
  set('topP', number(values, 'top-p', { min: 0, max: 1 }))
  set('minP', number(values, 'min-p', { min: 0, max: 1 }))
  set('repeatPenalty', number(values, 'repeat-penalty', { min: 0 }))
  set('presencePenalty', number(values, 'presence-penalty'))
  set('frequencyPenalty', number(values, 'frequency-penalty'))
  set('seed', number(values, 'seed', { integer: true, min: 0 }))
  if (values.stop?.length) o.stop = values.stop
  return o
}

const BAR_WIDTH = 30

/** A load progress bar on stderr when it is a terminal; `update(fraction)`, `done()`. */
function loadProgress(label) {
  if (!process.stderr.isTTY) return { update() {}, done() {} }
  let last = -1
  return {
    update(fraction) {
      const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)))
      if (pct === last) return
      last = pct
      const filled = Math.round((pct / 100) * BAR_WIDTH)
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(pct).padStart(3)}%\x1b[K`)
    },
    done() {
      if (last >= 0) process.stderr.write('\r\x1b[K')
    },
  }
}

/**
 * Opens what the command line names: `{ model, close() }`, where model has generate(),
 * createChatSession() (and, locally, applyChatTemplate for the server).
 */
async function openModel(values, { signal } = {}) {
  if (values.url !== undefined) {
    if (values.model !== undefined) throw new UsageError('give --model or --url, not both')
    const { connect } = require('../../lib/llm-remote.js')
    let remote
    try {
      remote = connect({
        baseURL: values.url,
        apiKey: values['api-key'] ?? process.env.GHOSTKIT_LLM_API_KEY,
        model: values['remote-model'] ?? 'default',
      })
    } catch (err) {
      throw new UsageError(`--url: ${firstLine(err.message)}`)
    }
    return { model: remote, close: () => remote.close() }
  }
  if (values.model === undefined) throw new UsageError('--model FILE (or --url URL) is required')
  const file = values.model
  try {
    if (!fs.statSync(file).isFile()) throw new UsageError(`${file} is not a file`)
  } catch (err) {
    if (err instanceof UsageError) throw err
    throw new RuntimeError(`cannot open ${file}: ${err.code === 'ENOENT' ? 'no such file' : firstLine(err.message)}`)
  }
  const threads = number(values, 'threads', { integer: true, min: 1, max: 1024 })
  const contextSize = number(values, 'context-size', { integer: true, min: 16 })
  let llm
  try {
    llm = require('../../lib/llm.js')
  } catch (err) {
    throw new RuntimeError(`cannot load ghostkit/llm: ${firstLine(err.message)}`)
  }
  const bar = loadProgress('loading')
  let model
  try {
    model = await llm.loadModel(file, { threads, contextSize, signal, onProgress: (f) => bar.update(f) })
  } catch (err) {
    throw new RuntimeError(`cannot load ${file}: ${firstLine(err.message)}`)
  } finally {
    bar.done()
  }
  return { model, close: () => model.dispose() }
}

/** Writes a generation's text to stdout as it streams; resolves to its end result. */
async function streamToStdout(gen) {
  for await (const chunk of gen) {
    if (chunk.text && !process.stdout.write(chunk.text)) {
      await new Promise((resolve) => process.stdout.once('drain', resolve))
    }
  }
  return gen.done
}

/**
 * A chat template for a local model whose file names none it recognises: gemma-3 files
 * often carry no tokenizer.chat_template, and their format is known. Undefined otherwise.
 */
function fallbackTemplate(model) {
  const meta = model.metadata
  if (!meta || meta.chatTemplateName) return undefined
  if (meta.architecture === 'gemma3') return 'gemma'
  return undefined
}

/** A stop reason in words, for stderr. */
function describeStop(result) {
  const reasons = {
    eos: 'end of text',
    stop: 'stop sequence',
    maxTokens: 'token limit',
    contextFull: 'context full',
    abort: 'interrupted',
  }
  return reasons[result?.reason] ?? String(result?.reason)
}

module.exports = {
  SAMPLING_OPTIONS,
  MODEL_OPTIONS,
  SAMPLING_HELP,
  MODEL_HELP,
  number,
  samplingOptions,
  openModel,
  streamToStdout,
  describeStop,
  loadProgress,
  fallbackTemplate,
}
