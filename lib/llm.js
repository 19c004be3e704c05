'use strict'
// ghostkit/llm: the JS face of GhostLLM (types and docs in llm.d.ts). The native layer
// loads models and runs generations off the JS thread; this file adds EventEmitter,
// async iteration, AbortSignal, stop sequences and chat sessions.
const os = require('node:os')
const { EventEmitter } = require('node:events')
const native = require('./native.js')
const { typeError, rangeError } = require('./errors.js')

class LlmError extends Error {
  constructor(message, code, options) {
    super(message, options)
    this.name = code === 'ERR_GHOSTKIT_LLM_ABORTED' ? 'AbortError' : 'LlmError'
    this.code = code
  }
}

/** Turns a native error ("ERR_…: message") into a typed error. */
function fromNative(error) {
  const text = typeof error === 'string' ? error : String(error?.message ?? error)
  const match = /^(ERR_[A-Z0-9_]+): ([\s\S]*)$/.exec(text)
  if (!match) return error instanceof Error ? error : new LlmError(text, 'ERR_GHOSTKIT_LLM_INTERNAL')
  const [, code, message] = match
  if (code === 'ERR_GHOSTKIT_INVALID_ARG_VALUE') return rangeError(message, code)
  return new LlmError(message, code)
}

function callNative(fn) {
  try {
    return fn()
  } catch (error) {
    throw fromNative(error)
  }
}

function checkInt(value, name, min, max) {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(`${name} must be an integer`)
  if (value < min || value > max) throw rangeError(`${name} must be in ${min}..${max}`, 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
  return value
}

function checkNumber(value, name, min, max) {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(`${name} must be a number`)
  if (value < min || value > max) throw rangeError(`${name} must be in ${min}..${max}`, 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
  return value
}

function checkSignal(signal) {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw typeError('signal must be an AbortSignal')
}

function checkIds(ids, vocabSize, name = 'ids') {
  if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
    throw typeError(`${name} must be an array of token ids`)
  }
  const out = Array.from(ids)
  for (const id of out) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw rangeError(`${name}: ${id} is not a token id of this model (0..${vocabSize - 1})`, 'ERR_GHOSTKIT_LLM_BAD_TOKEN')
    }
  }
  return out
}

function abortError() {
  return new LlmError('the operation was aborted', 'ERR_GHOSTKIT_LLM_ABORTED')
}

const DEFAULTS = {
  maxTokens: 256,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1,
  repeatLastN: 64,
  presencePenalty: 0,
  frequencyPenalty: 0,
}

/** Unread tokens JS holds before the native generation is paused. */
const HIGH_WATER = 64

class Generation extends EventEmitter {
  #cancel = new native.LlmCancel()
  #queue = []
  #wake = null
  #ended = false
  #error = null
  #stops
  #held = ''
  #text = ''
  #stopped = false
  #aborted = false
  #paused = false
  #onAbort
  #signal
  #resolveDone
  #rejectDone

  constructor(stops, signal) {
    super()
    this.#stops = stops
    this.#signal = signal
    this.done = new Promise((resolve, reject) => {
      this.#resolveDone = resolve
      this.#rejectDone = reject
    })
    // A rejection is delivered to whoever awaits it; an unobserved one must not crash.
    this.done.catch(() => {})
    if (signal) {
      this.#onAbort = () => this.abort()
      if (signal.aborted) this.abort()
      else signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  /** @internal */
  get _cancel() {
    return this.#cancel
  }

  /**
   * Stops the generation: no token is emitted or iterated after this call (chunks not yet
   * read from the iterator are dropped); 'end' follows with reason 'abort'.
   */
  abort() {
    if (this.#ended || this.#stopped) return
    this.#aborted = true
    this.#queue.length = 0
    this.#cancel.cancel()
  }

  text() {
    return this.done.then((end) => end.text)
  }

  /** Text that may be the start of a stop sequence is held back until it is not. */
  #release(text) {
    const all = this.#held + text
    let cut = -1
    for (const stop of this.#stops) {
      const at = all.indexOf(stop)
      if (at !== -1 && (cut === -1 || at < cut)) cut = at
    }
    if (cut !== -1) {
      this.#held = ''
      this.#stopped = true
      this.#cancel.cancel()
      return all.slice(0, cut)
    }
    let keep = 0
    for (const stop of this.#stops) {
      for (let n = Math.min(stop.length - 1, all.length); n > keep; n--) {
        if (all.endsWith(stop.slice(0, n))) {
          keep = n
          break
        }
      }
    }
    this.#held = all.slice(all.length - keep)
    return all.slice(0, all.length - keep)
  }

  /**
   * @internal A batch from the native generation: tokens in order, then maybe the end.
   * Tokens that arrive after abort() are dropped: none is emitted once abort() returned.
   */
  _onBatch(batch) {
    if (this.#ended) return
    const { ids, texts } = batch
    if (!this.#stopped && !this.#aborted) {
      for (let i = 0; i < ids.length; i++) {
        this.#onToken(ids[i], texts[i])
        if (this.#stopped || this.#aborted || this.#ended) break
      }
    }
    if (batch.end && !this.#ended) this.#onEnd(batch.end)
  }

  #onToken(id, raw) {
    const text = this.#release(raw)
    this.#text += text
    const chunk = { id, text }
    this.#push(chunk)
    this.emit('token', chunk)
    if (text) this.emit('text', text)
  }

  #onEnd(event) {
    this.#ended = true
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort)
    if (event.kind === 'error') {
      this.#error = fromNative(event.text)
      if (this.listenerCount('error') > 0) this.emit('error', this.#error)
      this.#rejectDone(this.#error)
      this.#notify()
      return
    }
    let reason = event.reason
    if (this.#stopped) reason = 'stop'
    else if (this.#aborted) reason = 'abort'
    else {
      const tail = this.#held + (event.text ?? '')
      if (tail) {
        this.#text += tail
        const chunk = { id: -1, text: tail }
        this.#push(chunk)
        this.emit('token', chunk)
        this.emit('text', tail)
      }
    }
    const promptMs = event.promptMs ?? 0
    const decodeMs = event.decodeMs ?? 0
    const promptTokens = event.promptTokens ?? 0
    const generatedTokens = event.generatedTokens ?? 0
    const end = {
      reason,
      text: this.#text,
      timings: {
        promptTokens,
        generatedTokens,
        promptMs,
        decodeMs,
        promptTokensPerSecond: promptMs > 0 ? (promptTokens * 1000) / promptMs : 0,
        decodeTokensPerSecond: decodeMs > 0 ? (generatedTokens * 1000) / decodeMs : 0,
      },
    }
    this.emit('end', end)
    this.#resolveDone(end)
    this.#notify()
  }

  // Chunks wait here for an iterator (which may start late). Without one the queue
  // holds no more than the text itself; with one, the native side pauses at HIGH_WATER.
  #push(chunk) {
    if (this.#iterated) return
    this.#queue.push(chunk)
    if (this.#iterating && this.#queue.length >= HIGH_WATER && !this.#paused) {
      this.#paused = true
      this.#cancel.setPaused(true)
    }
    this.#notify()
  }

  #notify() {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  #iterating = false
  #iterated = false

  async *[Symbol.asyncIterator]() {
    if (this.#iterated || this.#iterating) throw new LlmError('a generation can be iterated once', 'ERR_GHOSTKIT_LLM_ITERATED')
    this.#iterating = true
    try {
      while (true) {
        if (this.#queue.length > 0) {
          const chunk = this.#queue.shift()
          if (this.#paused && this.#queue.length < HIGH_WATER / 2) {
            this.#paused = false
            this.#cancel.setPaused(false)
          }
          yield chunk
          continue
        }
        if (this.#error) throw this.#error
        if (this.#ended) return
        await new Promise((resolve) => {
          this.#wake = resolve
        })
      }
    } finally {
      this.#iterating = false
      this.#iterated = true
      this.#queue.length = 0
      if (!this.#ended) this.abort()
      if (this.#paused) this.#cancel.setPaused(false)
    }
  }
}

class ChatSession {
  #model
  #history = []
  #template

  constructor(model, template, systemPrompt) {
    this.#model = model
    this.#template = template
    if (systemPrompt !== undefined) this.#history.push({ role: 'system', content: systemPrompt })
  }

  get history() {
    return this.#history.map((m) => ({ ...m }))
  }

  get template() {
    return this.#template
  }

  render() {
    return this.#renderWith(this.#history)
  }

  #renderWith(messages) {
    return callNative(() =>
      native.llmChatRender(
        this.#template,
        messages.map((m) => m.role),
        messages.map((m) => m.content),
        true,
      ),
    )
  }

  promptStream(text, options = {}) {
    if (typeof text !== 'string') throw typeError('text must be a string')
    const messages = [...this.#history, { role: 'user', content: text }]
    const generation = this.#model.generate(this.#renderWith(messages), { parseSpecial: true, ...options })
    generation.done.then(
      (end) => {
        this.#history.push({ role: 'user', content: text }, { role: 'assistant', content: end.text })
      },
      () => {},
    )
    return generation
  }

  async prompt(text, options = {}) {
    return this.promptStream(text, options).text()
  }
}

class Model {
  #native
  #generations = new Set()
  #disposed = false

  constructor(handle, path, contextSize, batchSize) {
    this.#native = handle
    this.path = path
    this.contextSize = contextSize
    this.batchSize = batchSize
    const info = callNative(() => handle.info())
    this.threads = info.threads
    this.cpuLevel = info.cpuLevel
    const raw = {}
    for (const entry of callNative(() => handle.metadata())) {
      raw[entry.key] = entry.text ?? entry.number ?? entry.boolean
    }
    this.metadata = Object.freeze({
      architecture: raw['general.architecture'],
      name: raw['general.name'] ?? null,
      vocabSize: info.vocabSize,
      trainContextLength: info.trainContextLength,
      embeddingLength: info.embeddingLength,
      layerCount: info.layerCount,
      headCount: info.headCount,
      headCountKv: info.headCountKv,
      feedForwardLength: info.feedForwardLength,
      chatTemplate: typeof raw['tokenizer.chat_template'] === 'string' ? raw['tokenizer.chat_template'] : null,
      chatTemplateName: info.chatTemplateName ?? null,
      bosTokenId: info.bosTokenId >= 0 ? info.bosTokenId : null,
      eosTokenId: info.eosTokenId >= 0 ? info.eosTokenId : null,
      fileSize: info.fileSize,
      weightBytes: info.weightBytes,
      raw: Object.freeze(raw),
    })
  }

  get disposed() {
    return this.#disposed
  }

  #check() {
    if (this.#disposed) throw new LlmError('the model was disposed', 'ERR_GHOSTKIT_LLM_DISPOSED')
  }

  tokenize(text, options = {}) {
    this.#check()
    if (typeof text !== 'string') throw typeError('text must be a string')
    const { addSpecial = true, parseSpecial = false } = options
    return callNative(() => this.#native.tokenize(text, Boolean(addSpecial), Boolean(parseSpecial)))
  }

  detokenize(ids, options = {}) {
    this.#check()
    const list = checkIds(ids, this.metadata.vocabSize)
    return callNative(() => this.#native.detokenize(list, Boolean(options.special)))
  }

  async logits(prompt, options = {}) {
    this.#check()
    const ids = checkIds(prompt, this.metadata.vocabSize, 'prompt')
    if (ids.length === 0) throw rangeError('prompt has no tokens', 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
    const contextSize = checkInt(options.contextSize ?? Math.max(ids.length, 1), 'contextSize', 1, 1 << 20)
    if (ids.length > contextSize) throw new LlmError('the prompt does not fit the context', 'ERR_GHOSTKIT_LLM_CONTEXT_FULL')
    try {
      return await this.#native.logits(ids, contextSize)
    } catch (error) {
      throw fromNative(error)
    }
  }

  generate(prompt, options = {}) {
    this.#check()
    if (options === null || typeof options !== 'object') throw typeError('options must be an object')
    checkSignal(options.signal)
    const o = { ...DEFAULTS, ...options }
    const sampling = {
      maxTokens: checkInt(o.maxTokens, 'maxTokens', 0, 1 << 24),
      temperature: checkNumber(o.temperature, 'temperature', 0, 100),
      topK: checkInt(o.topK, 'topK', 0, this.metadata.vocabSize),
      topP: checkNumber(o.topP, 'topP', 0, 1),
      minP: checkNumber(o.minP, 'minP', 0, 1),
      repeatPenalty: checkNumber(o.repeatPenalty, 'repeatPenalty', 1e-3, 100),
      repeatLastN: checkInt(o.repeatLastN, 'repeatLastN', 0, 1 << 20),
      presencePenalty: checkNumber(o.presencePenalty, 'presencePenalty', -100, 100),
      frequencyPenalty: checkNumber(o.frequencyPenalty, 'frequencyPenalty', -100, 100),
      seed: o.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : checkInt(o.seed, 'seed', 0, Number.MAX_SAFE_INTEGER),
      contextSize: checkInt(o.contextSize ?? this.contextSize, 'contextSize', 1, 1 << 20),
      batchSize: this.batchSize,
    }
    const stops = o.stop ?? []
    if (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw typeError('stop must be an array of non-empty strings')
    }
    let ids
    if (typeof prompt === 'string') {
      ids = this.tokenize(prompt, { addSpecial: o.addSpecial ?? true, parseSpecial: o.parseSpecial ?? true })
    } else {
      ids = checkIds(prompt, this.metadata.vocabSize, 'prompt')
    }
    if (ids.length === 0) throw rangeError('the prompt has no tokens', 'ERR_GHOSTKIT_INVALID_ARG_VALUE')
    if (ids.length > sampling.contextSize) {
      throw new LlmError(
        `the prompt has ${ids.length} tokens, more than the context size ${sampling.contextSize}`,
        'ERR_GHOSTKIT_LLM_CONTEXT_FULL',
      )
    }
    const generation = new Generation(stops, options.signal)
    this.#generations.add(generation)
    const forget = () => this.#generations.delete(generation)
    generation.done.then(forget, forget)
    callNative(() => this.#native.generate(ids, sampling, generation._cancel, (batch) => generation._onBatch(batch)))
    return generation
  }

  createChatSession(options = {}) {
    this.#check()
    const template = options.template ?? this.metadata.chatTemplateName
    if (template === null || template === undefined) {
      throw new LlmError(
        'this model has no known chat template; pass { template: "gemma" | "llama2" | "llama3" | "chatml" }',
        'ERR_GHOSTKIT_LLM_BAD_TEMPLATE',
      )
    }
    if (typeof template !== 'string') throw typeError('template must be a string')
    if (options.systemPrompt !== undefined && typeof options.systemPrompt !== 'string') {
      throw typeError('systemPrompt must be a string')
    }
    const session = new ChatSession(this, template, options.systemPrompt)
    session.render() // an unknown template name fails here, not at the first prompt
    return session
  }

  async dispose() {
    if (this.#disposed) return
    this.#disposed = true
    const running = [...this.#generations]
    for (const g of running) g.abort()
    await Promise.allSettled(running.map((g) => g.done))
    this.#native.dispose()
  }

  async [Symbol.asyncDispose]() {
    await this.dispose()
  }
}

async function loadModel(path, options = {}) {
  if (typeof path !== 'string' || path.length === 0) throw typeError('path must be a non-empty string')
  if (options === null || typeof options !== 'object') throw typeError('options must be an object')
  const { onProgress, signal } = options
  checkSignal(signal)
  if (onProgress !== undefined && typeof onProgress !== 'function') throw typeError('onProgress must be a function')
  const threads = checkInt(options.threads ?? Math.min(4, os.availableParallelism()), 'threads', 1, 64)
  const batchSize = checkInt(options.batchSize ?? 64, 'batchSize', 1, 4096)
  if (options.contextSize !== undefined) checkInt(options.contextSize, 'contextSize', 1, 1 << 20)
  if (signal?.aborted) throw abortError()
  const cancel = new native.LlmCancel()
  const onAbort = () => cancel.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  onProgress?.(0)
  let loading = true
  // Progress events queued on the native side may arrive after the load resolved.
  const progress = onProgress ? (p) => loading && onProgress(p) : undefined
  let handle
  try {
    handle = await native.llmLoad(path, threads, progress, cancel)
  } catch (error) {
    throw fromNative(error)
  } finally {
    loading = false
    signal?.removeEventListener('abort', onAbort)
  }
  if (signal?.aborted) {
    handle.dispose()
    throw abortError()
  }
  const info = handle.info()
  const contextSize = options.contextSize ?? Math.min(2048, info.trainContextLength || 2048)
  const model = new Model(handle, path, contextSize, batchSize)
  onProgress?.(1)
  return model
}

module.exports = { loadModel, Model, Generation, ChatSession, LlmError }
// llm.connect(): the same generate/chat API against an OpenAI-compatible server, loaded on first use.
for (const name of ['connect', 'LlmRemoteError']) {
  Object.defineProperty(module.exports, name, { enumerable: true, get: () => require('./llm-remote.js')[name] })
}
