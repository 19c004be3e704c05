'use strict'
// llm.connect(): the generate / chat API of ghostkit/llm against an OpenAI-compatible
// HTTP server (llama.cpp's server, llama-cpp-python, vLLM, `ghostkit llm serve`, ...),
// streaming with server-sent events. For models too big for this machine.

const { EventEmitter } = require('node:events')

class LlmRemoteError extends Error {
  constructor(message, code, extra = {}) {
    super(message)
    this.name = 'LlmRemoteError'
    this.code = code
    Object.assign(this, extra)
  }
}

function typeError(message) {
  const error = new TypeError(message)
  error.code = 'ERR_GHOSTKIT_INVALID_ARG_TYPE'
  return error
}

function rangeError(message) {
  const error = new RangeError(message)
  error.code = 'ERR_GHOSTKIT_INVALID_ARG_VALUE'
  return error
}

// How many chunks an async iterator may fall behind before the network read pauses.
const ITERATOR_HIGH_WATER = 64

/**
 * One generation, shaped like ghostkit/llm's Generation: an async iterator of `{ text }`
 * chunks and an EventEmitter ('token' with the chunk, 'text' with its text, 'end' with
 * `{ reason, text, timings, usage, finishReason }`, 'error'), plus `text()` and `done`.
 * It starts on the next tick, so iterate it or listen to it in the tick it was created.
 */
class RemoteGeneration extends EventEmitter {
  #queue = []
  #waiters = []
  #iterating = false
  #resume = null
  #done = false
  #error = null
  #result = null
  #textPromise = null
  #donePromise = null
  #abort

  constructor(run, abort) {
    super()
    this.#abort = abort
    setImmediate(() => {
      run(this).then(
        (result) => this.#finish(null, result),
        (error) => this.#finish(error, null),
      )
    })
  }

  /** Delivers one chunk; resolves when the consumer can take more (back-pressure). */
  _push(chunk) {
    if (this.#done) return undefined
    this.emit('token', chunk)
    this.emit('text', chunk.text)
    if (!this.#iterating) return undefined
    const waiter = this.#waiters.shift()
    if (waiter) waiter.resolve({ value: chunk, done: false })
    else this.#queue.push(chunk)
    if (this.#queue.length < ITERATOR_HIGH_WATER) return undefined
    return new Promise((resolve) => {
      this.#resume = resolve
    })
  }

  #finish(error, result) {
    if (this.#done) return
    this.#done = true
    this.#error = error
    this.#result = result
    if (this.#resume) this.#resume()
    if (error) {
      if (this.listenerCount('error') > 0) this.emit('error', error)
    } else {
      this.emit('end', result)
    }
    for (const w of this.#waiters.splice(0)) {
      if (error) w.reject(error)
      else w.resolve({ value: undefined, done: true })
    }
  }

  /** Stops the generation (it ends with reason 'abort'). */
  abort() {
    this.#abort()
  }

  /** The whole generated text; rejects on error. */
  text() {
    if (!this.#textPromise) {
      this.#textPromise = this.done.then((r) => r.text)
    }
    return this.#textPromise
  }

  /** Resolves with the end event `{ reason, text, timings, usage, finishReason }` (created on first use). */
  get done() {
    this.#donePromise ??= this.#whenDone()
    return this.#donePromise
  }

  #whenDone() {
    if (this.#done) return this.#error ? Promise.reject(this.#error) : Promise.resolve(this.#result)
    return new Promise((resolve, reject) => {
      const onEnd = (r) => {
        this.off('error', onError)
        resolve(r)
      }
      const onError = (e) => {
        this.off('end', onEnd)
        reject(e)
      }
      this.once('end', onEnd)
      this.once('error', onError)
    })
  }

  [Symbol.asyncIterator]() {
    this.#iterating = true
    return {
      next: () => {
        if (this.#queue.length > 0) {
          const value = this.#queue.shift()
          if (this.#resume && this.#queue.length < ITERATOR_HIGH_WATER / 2) {
            const r = this.#resume
            this.#resume = null
            r()
          }
          return Promise.resolve({ value, done: false })
        }
        if (this.#done) {
          return this.#error ? Promise.reject(this.#error) : Promise.resolve({ value: undefined, done: true })
        }
        return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
      },
      return: () => {
        this.abort()
        return Promise.resolve({ value: undefined, done: true })
      },
      [Symbol.asyncIterator]() {
        return this
      },
    }
  }
}

// ---------------------------------------------------------------------------------------
// Options

const SAMPLING = {
  temperature: 'temperature',
  topP: 'top_p',
  topK: 'top_k',
  minP: 'min_p',
  repeatPenalty: 'repeat_penalty',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
  seed: 'seed',
}

function requestFields(options) {
  if (options === undefined) options = {}
  if (options === null || typeof options !== 'object') throw typeError('options must be an object')
  const body = {}
  if (options.maxTokens !== undefined) {
    if (!Number.isInteger(options.maxTokens) || options.maxTokens < 1) {
      throw rangeError('options.maxTokens must be a positive integer')
    }
    body.max_tokens = options.maxTokens
  }
  for (const [key, wire] of Object.entries(SAMPLING)) {
    const v = options[key]
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isFinite(v)) throw typeError(`options.${key} must be a finite number`)
    body[wire] = v
  }
  if (options.stop !== undefined) {
    const stop = typeof options.stop === 'string' ? [options.stop] : options.stop
    if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw typeError('options.stop must be a non-empty string or an array of them')
    }
    if (stop.length > 0) body.stop = stop
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw typeError('options.signal must be an AbortSignal')
  }
  return body
}

function stopReasonOf(finish) {
  if (finish === 'length') return 'maxTokens'
  if (finish === 'stop') return 'stop'
  if (finish === 'content_filter') return 'contentFilter'
  return finish ?? 'unknown'
}

// ---------------------------------------------------------------------------------------
// Server-sent events

/** Yields the `data` of each event of an SSE body (a web ReadableStream of bytes). */
async function* sseEvents(body) {
  const decoder = new TextDecoder()
  let buffer = ''
  let data = []
  const reader = body.getReader()
  try {
    for (;;) {
      const { value, done } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      let nl
      while ((nl = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + (buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1))
        if (line === '') {
          if (data.length > 0) yield data.join('\n')
          data = []
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5))
        }
        // comments (':...') and other fields (event, id, retry) are not used by the API
      }
      if (done) break
    }
    if (data.length > 0) yield data.join('\n')
  } finally {
    reader.releaseLock()
  }
}

// ---------------------------------------------------------------------------------------
// Client

class RemoteModel {
  #baseURL
  #apiKey
  #fetch
  #closed = false
  #controllers = new Set()

  constructor({ baseURL, apiKey, model, fetch: fetchImpl }) {
    this.#baseURL = baseURL
    this.#apiKey = apiKey
    this.#fetch = fetchImpl
    /** The model name sent with each request. */
    this.model = model
  }

  get baseURL() {
    return this.#baseURL
  }

  #headers() {
    const h = { 'content-type': 'application/json', accept: 'text/event-stream, application/json' }
    if (this.#apiKey) h.authorization = `Bearer ${this.#apiKey}`
    return h
  }

  #checkOpen() {
    if (this.#closed) throw new LlmRemoteError('the remote model was closed', 'ERR_GHOSTKIT_LLM_CLOSED')
  }

  async #request(path, init, signal) {
    let response
    try {
      response = await this.#fetch(new URL(path, this.#baseURL), { ...init, signal })
    } catch (error) {
      if (signal?.aborted) throw error
      throw new LlmRemoteError(`cannot reach ${this.#baseURL}: ${error.cause?.message ?? error.message}`, 'ERR_GHOSTKIT_LLM_REMOTE_UNREACHABLE', { cause: error })
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '')
      let message = text
      try {
        const json = JSON.parse(text)
        message = json.error?.message ?? json.detail ?? json.message ?? text
        if (typeof message !== 'string') message = JSON.stringify(message)
      } catch {}
      throw new LlmRemoteError(`${path}: HTTP ${response.status}: ${message || response.statusText}`, 'ERR_GHOSTKIT_LLM_REMOTE_HTTP', {
        status: response.status,
      })
    }
    return response
  }

  /** The server's model list (GET /v1/models). */
  async listModels() {
    this.#checkOpen()
    const response = await this.#request('models', { headers: this.#headers() })
    const json = await response.json()
    if (!json || !Array.isArray(json.data)) {
      throw new LlmRemoteError('/v1/models: the reply has no data array', 'ERR_GHOSTKIT_LLM_REMOTE_PROTOCOL')
    }
    return json.data
  }

  #stream(path, body, options, pick) {
    this.#checkOpen()
    const fields = requestFields(options)
    const controller = new AbortController()
    const outer = options?.signal
    const onOuter = () => controller.abort(outer.reason)
    let aborted = false
    const abort = () => {
      aborted = true
      controller.abort()
    }
    if (outer) {
      if (outer.aborted) aborted = true
      else outer.addEventListener('abort', onOuter, { once: true })
    }
    this.#controllers.add(controller)
    const run = async (gen) => {
      const started = performance.now()
      let firstAt
      let text = ''
      let chunks = 0
      let finish
      let usage
      try {
        if (aborted || outer?.aborted) return { reason: 'abort', finishReason: null, text, usage: null, timings: { firstTokenMs: null, totalMs: 0, chunks: 0 } }
        const response = await this.#request(
          path,
          {
            method: 'POST',
            headers: this.#headers(),
            body: JSON.stringify({ ...body, ...fields, model: this.model, stream: true }),
          },
          controller.signal,
        )
        const type = response.headers.get('content-type') ?? ''
        if (!type.includes('text/event-stream')) {
          throw new LlmRemoteError(`${path}: expected an event stream, got '${type}'`, 'ERR_GHOSTKIT_LLM_REMOTE_PROTOCOL')
        }
        for await (const data of sseEvents(response.body)) {
          // events already received when the abort came are dropped, not delivered
          if (aborted || outer?.aborted) break
          if (data === '[DONE]') break
          let json
          try {
            json = JSON.parse(data)
          } catch {
            throw new LlmRemoteError(`${path}: a stream event is not JSON: ${data.slice(0, 80)}`, 'ERR_GHOSTKIT_LLM_REMOTE_PROTOCOL')
          }
          if (json.error) {
            throw new LlmRemoteError(`${path}: ${json.error.message ?? JSON.stringify(json.error)}`, 'ERR_GHOSTKIT_LLM_REMOTE_STREAM')
          }
          if (json.usage) usage = json.usage
          const choice = json.choices?.[0]
          if (!choice) continue
          const piece = pick(choice)
          if (typeof piece === 'string' && piece.length > 0) {
            firstAt ??= performance.now()
            text += piece
            chunks++
            const wait = gen._push({ text: piece })
            if (wait) await wait
          }
          if (choice.finish_reason) finish = choice.finish_reason
        }
      } catch (error) {
        if (!(aborted || outer?.aborted)) throw error
      } finally {
        this.#controllers.delete(controller)
        outer?.removeEventListener('abort', onOuter)
      }
      const end = performance.now()
      return {
        reason: aborted || outer?.aborted ? 'abort' : stopReasonOf(finish),
        finishReason: finish ?? null,
        text,
        usage: usage ?? null,
        timings: { firstTokenMs: firstAt === undefined ? null : firstAt - started, totalMs: end - started, chunks },
      }
    }
    return new RemoteGeneration(run, abort)
  }

  /** Text completion of `prompt` (POST /v1/completions, streamed). */
  generate(prompt, options) {
    if (typeof prompt !== 'string') throw typeError('prompt must be a string')
    return this.#stream('completions', { prompt }, options, (c) => c.text)
  }

  /**
   * Chat completion of `messages` ([{ role, content }], POST /v1/chat/completions,
   * streamed); the server applies the model's chat template.
   */
  chat(messages, options) {
    checkMessages(messages)
    return this.#stream('chat/completions', { messages }, options, (c) => c.delta?.content)
  }

  /** A conversation that keeps its history: `session.prompt(text, options)`. */
  createChatSession({ systemPrompt } = {}) {
    if (systemPrompt !== undefined && typeof systemPrompt !== 'string') throw typeError('systemPrompt must be a string')
    return new RemoteChatSession(this, systemPrompt)
  }

  /** Aborts every running generation; later calls throw ERR_GHOSTKIT_LLM_CLOSED. */
  close() {
    this.#closed = true
    for (const c of this.#controllers) c.abort()
    this.#controllers.clear()
  }
}

function checkMessages(messages) {
  if (!Array.isArray(messages) || messages.length === 0) throw typeError('messages must be a non-empty array')
  for (const m of messages) {
    if (!m || typeof m.role !== 'string' || typeof m.content !== 'string') {
      throw typeError('each message must be { role: string, content: string }')
    }
  }
}

class RemoteChatSession {
  #model
  #busy = false
  #history

  constructor(model, systemPrompt) {
    this.#model = model
    this.#history = systemPrompt ? [{ role: 'system', content: systemPrompt }] : []
  }

  /** The conversation so far, oldest first. */
  get history() {
    return this.#history.map((m) => ({ ...m }))
  }

  /** The server applies its model's own chat template. */
  get template() {
    return 'server'
  }

  /** Sends `text` as the user's turn; resolves with the reply (also added to `history`). */
  prompt(text, options) {
    return this.promptStream(text, options).text()
  }

  /**
   * Like `prompt`, streaming. The reply joins the history when it ends (an aborted or
   * failed reply leaves the history as it was).
   */
  promptStream(text, options) {
    if (typeof text !== 'string') throw typeError('text must be a string')
    if (this.#busy) throw new LlmRemoteError('the session is already answering a prompt', 'ERR_GHOSTKIT_LLM_BUSY')
    const messages = [...this.#history, { role: 'user', content: text }]
    const gen = this.#model.chat(messages, options)
    this.#busy = true
    gen.done.then(
      (r) => {
        this.#busy = false
        if (r.reason !== 'abort') this.#history = [...messages, { role: 'assistant', content: r.text }]
      },
      () => {
        this.#busy = false
      },
    )
    return gen
  }
}

/**
 * Connects to an OpenAI-compatible server. `baseURL` is the API root
 * (e.g. `http://127.0.0.1:8080/v1`); `model` names the model for each request.
 */
function connect(options) {
  if (!options || typeof options !== 'object') throw typeError('options must be an object')
  const { baseURL, apiKey, model = 'default', fetch: fetchImpl = globalThis.fetch } = options
  if (typeof baseURL !== 'string' && !(baseURL instanceof URL)) throw typeError('options.baseURL must be a string or URL')
  let url
  try {
    url = new URL(String(baseURL))
  } catch {
    throw rangeError(`options.baseURL is not a URL: ${baseURL}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw rangeError('options.baseURL must be http: or https:')
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  if (apiKey !== undefined && typeof apiKey !== 'string') throw typeError('options.apiKey must be a string')
  if (typeof model !== 'string' || model.length === 0) throw typeError('options.model must be a non-empty string')
  if (typeof fetchImpl !== 'function') throw typeError('options.fetch must be a function')
  return new RemoteModel({ baseURL: url.href, apiKey, model, fetch: fetchImpl })
}

module.exports = { connect, LlmRemoteError, RemoteModel, RemoteGeneration, sseEvents }
