'use strict'
// An OpenAI-compatible HTTP server over a local ghostkit/llm model:
//   GET  /v1/models
//   POST /v1/completions        (stream: true → server-sent events)
//   POST /v1/chat/completions   (stream: true → server-sent events)
// Errors are OpenAI-shaped JSON: { error: { message, type, param, code } }.
// `ghostkit llm serve --model file.gguf` runs it (bin/commands/llm.js).

const http = require('node:http')
const crypto = require('node:crypto')

const MAX_BODY = 1 << 20

/** Renders messages with the engine's chat template family `name` (zig/src/llm/chat_template.zig). */
function renderChatTemplate(name, messages) {
  const native = require('./native.js')
  return native.llmChatRender(name, messages.map((m) => m.role), messages.map((m) => m.content), true)
}
const DEFAULT_MAX_TOKENS = 256

class HttpError extends Error {
  constructor(status, message, { type = 'invalid_request_error', param = null, code = null } = {}) {
    super(message)
    this.status = status
    this.type = type
    this.param = param
    this.code = code
  }
}

/** An engine or client error as the HTTP error a client can act on. */
function engineError(error) {
  if (error instanceof HttpError) return error
  const code = error?.code
  if (code === 'ERR_GHOSTKIT_LLM_CONTEXT_FULL') return new HttpError(400, error.message, { code: 'context_length_exceeded', param: 'messages' })
  if (code === 'ERR_GHOSTKIT_INVALID_ARG_VALUE' || code === 'ERR_GHOSTKIT_INVALID_ARG_TYPE') return new HttpError(400, error.message)
  if (code === 'ERR_GHOSTKIT_LLM_BAD_TEMPLATE') return new HttpError(400, error.message, { param: 'messages' })
  if (code === 'ERR_GHOSTKIT_LLM_DISPOSED' || code === 'ERR_GHOSTKIT_LLM_CLOSED') return new HttpError(503, error.message, { type: 'server_error' })
  if (code === 'ERR_GHOSTKIT_LLM_REMOTE_HTTP' && error.status >= 400 && error.status < 500) return new HttpError(error.status, error.message)
  return error
}

function sendJson(res, status, obj) {
  const body = JSON.stringify(obj)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function sendError(res, error) {
  const status = error instanceof HttpError ? error.status : 500
  const payload = {
    error: {
      message: error instanceof HttpError ? error.message : `internal error: ${error?.message ?? error}`,
      type: error instanceof HttpError ? error.type : 'server_error',
      param: error?.param ?? null,
      code: error?.code ?? null,
    },
  }
  if (res.headersSent) {
    // Mid-stream: report the error as an event, then end the stream.
    if (!res.writableEnded) res.end(`data: ${JSON.stringify(payload)}\n\n`)
    return
  }
  sendJson(res, status, payload)
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    req.on('data', (c) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(new HttpError(413, `request body larger than ${MAX_BODY} bytes`))
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

async function readJson(req) {
  const type = req.headers['content-type'] ?? ''
  if (!type.includes('application/json')) throw new HttpError(415, "the body must be JSON (content-type 'application/json')")
  const body = await readBody(req)
  let json
  try {
    json = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${error.message}`)
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new HttpError(400, 'the body must be a JSON object')
  return json
}

function num(body, key, { min = -Infinity, max = Infinity, integer = false } = {}) {
  const v = body[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new HttpError(400, `'${key}' must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`, { param: key })
  }
  return v
}

/** Maps the OpenAI request fields onto ghostkit generate options. */
function generateOptions(body, maxTokensCap) {
  if (body.n !== undefined && body.n !== 1) throw new HttpError(400, "only 'n': 1 is supported", { param: 'n' })
  if (body.echo) throw new HttpError(400, "'echo' is not supported", { param: 'echo' })
  if (body.logprobs !== undefined && body.logprobs !== null && body.logprobs !== false) {
    throw new HttpError(400, "'logprobs' is not supported", { param: 'logprobs' })
  }
  if (body.best_of !== undefined && body.best_of !== 1) throw new HttpError(400, "'best_of' is not supported", { param: 'best_of' })
  const options = {}
  const maxTokens = num(body, 'max_tokens', { min: 1, max: maxTokensCap, integer: true }) ??
    num(body, 'max_completion_tokens', { min: 1, max: maxTokensCap, integer: true })
  options.maxTokens = maxTokens ?? Math.min(DEFAULT_MAX_TOKENS, maxTokensCap)
  const map = {
    temperature: ['temperature', { min: 0, max: 100 }],
    top_p: ['topP', { min: 0, max: 1 }],
    top_k: ['topK', { min: 0, max: 1 << 20, integer: true }],
    min_p: ['minP', { min: 0, max: 1 }],
    repeat_penalty: ['repeatPenalty', { min: 0.01, max: 100 }],
    presence_penalty: ['presencePenalty', { min: -2, max: 2 }],
    frequency_penalty: ['frequencyPenalty', { min: -2, max: 2 }],
    seed: ['seed', { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }],
  }
  for (const [wire, [name, range]] of Object.entries(map)) {
    const v = num(body, wire, range)
    if (v !== undefined) options[name] = v
  }
  if (body.stop !== undefined && body.stop !== null) {
    const stop = typeof body.stop === 'string' ? [body.stop] : body.stop
    if (!Array.isArray(stop) || stop.length > 16 || stop.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new HttpError(400, "'stop' must be a non-empty string or an array of up to 16 of them", { param: 'stop' })
    }
    if (stop.length > 0) options.stop = stop
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw new HttpError(400, "'stream' must be a boolean", { param: 'stream' })
  return options
}

function finishReason(end) {
  const reason = end?.reason
  if (reason === 'maxTokens' || reason === 'contextFull') return 'length'
  return 'stop'
}

/** Counts of prompt and completion tokens from a generation's end result. */
function usageOf(result) {
  const t = result?.timings ?? {}
  const u = result?.usage ?? {}
  const prompt = u.promptTokens ?? u.prompt_tokens ?? t.promptTokens ?? 0
  const completion = u.completionTokens ?? u.completion_tokens ?? t.generatedTokens ?? t.tokens ?? 0
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

/** Waits for a free generation slot (bounded: a full queue answers 503). */
class Slots {
  #free
  #waiting = []
  #maxWaiting

  constructor(n, maxWaiting) {
    this.#free = n
    this.#maxWaiting = maxWaiting
  }

  acquire() {
    if (this.#free > 0) {
      this.#free--
      return Promise.resolve()
    }
    if (this.#waiting.length >= this.#maxWaiting) {
      return Promise.reject(new HttpError(503, 'the server is busy, retry later', { type: 'server_error' }))
    }
    return new Promise((resolve) => this.#waiting.push(resolve))
  }

  release() {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#free++
  }
}

/**
 * Creates (does not start) the HTTP server.
 * @param {object} o
 * @param {object} o.model a ghostkit/llm Model, or any object with generate(prompt, options)
 *   and chat(messages, options) returning generations (e.g. llm.connect()'s, which makes
 *   the server a gateway)
 * @param {string} [o.chatTemplate] 'gemma', 'llama2', 'llama3', 'chatml'… (default: the
 *   family detected from the model's tokenizer.chat_template)
 * @param {string} [o.modelName] the id /v1/models reports and requests may name
 * @param {string} [o.apiKey] when set, requests need `Authorization: Bearer <apiKey>`
 * @param {number} [o.parallel=4] generations run at once (more wait in a bounded queue)
 * @param {number} [o.maxTokens=4096] the largest max_tokens a request may ask for
 */
function createServer(o) {
  if (!o || typeof o !== 'object' || !o.model) throw new TypeError('createServer needs { model }')
  const { model, apiKey } = o
  const modelName = o.modelName ?? 'ghostkit'
  const maxTokensCap = o.maxTokens ?? 4096
  const slots = new Slots(o.parallel ?? 4, o.maxQueue ?? 64)
  // The chat template family for a local model: the option, else the one the engine
  // detected from the file's tokenizer.chat_template.
  const chatTemplate = o.chatTemplate ?? model.metadata?.chatTemplateName ?? null
  const created = Math.floor(Date.now() / 1000)

  function checkAuth(req) {
    if (!apiKey) return
    const h = req.headers.authorization ?? ''
    const given = h.startsWith('Bearer ') ? h.slice(7) : ''
    const a = Buffer.from(given)
    const b = Buffer.from(apiKey)
    if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
      throw new HttpError(401, 'invalid or missing API key', { type: 'invalid_request_error', code: 'invalid_api_key' })
    }
  }

  function checkModel(body) {
    if (body.model !== undefined && typeof body.model !== 'string') throw new HttpError(400, "'model' must be a string", { param: 'model' })
    if (body.model !== undefined && body.model !== modelName && body.model !== 'default') {
      throw new HttpError(404, `the model '${body.model}' does not exist (this server has '${modelName}')`, { param: 'model', code: 'model_not_found' })
    }
  }

  function renderChat(messages) {
    if (!Array.isArray(messages) || messages.length === 0) throw new HttpError(400, "'messages' must be a non-empty array", { param: 'messages' })
    return messages.map((m, i) => {
      if (!m || typeof m !== 'object' || typeof m.role !== 'string') {
        throw new HttpError(400, `messages[${i}] must be { role, content }`, { param: 'messages' })
      }
      let content = m.content
      // content parts: keep the text ones
      if (Array.isArray(content)) {
        content = content.map((p) => {
          if (p?.type !== 'text' || typeof p.text !== 'string') throw new HttpError(400, `messages[${i}]: only text content parts are supported`, { param: 'messages' })
          return p.text
        }).join('')
      }
      if (typeof content !== 'string') throw new HttpError(400, `messages[${i}].content must be a string`, { param: 'messages' })
      if (!['system', 'user', 'assistant', 'developer'].includes(m.role)) {
        throw new HttpError(400, `messages[${i}].role '${m.role}' is not supported`, { param: 'messages' })
      }
      return { role: m.role === 'developer' ? 'system' : m.role, content }
    })
  }

  /** Starts the generation; the engine's argument errors become 400s. */
  function start(chat, input, options) {
    try {
      return startGeneration(chat, input, options)
    } catch (error) {
      throw engineError(error)
    }
  }

  /** Chat goes through the model's template (or its own chat()). */
  function startGeneration(chat, input, options) {
    if (!chat) return model.generate(input, options)
    if (typeof model.chat === 'function') return model.chat(input, options)
    if (!chatTemplate) {
      throw new HttpError(400, 'this model has no known chat template (start the server with a template)', { param: 'messages', code: 'no_chat_template' })
    }
    let prompt
    try {
      prompt = renderChatTemplate(chatTemplate, input)
    } catch (error) {
      throw new HttpError(400, `cannot apply the chat template: ${error.message}`, { param: 'messages' })
    }
    return model.generate(prompt, { ...options, parseSpecial: true })
  }

  async function complete(req, res, chat) {
    const body = await readJson(req)
    checkModel(body)
    const options = generateOptions(body, maxTokensCap)
    let input
    if (chat) {
      input = renderChat(body.messages)
    } else {
      input = Array.isArray(body.prompt) && body.prompt.length === 1 ? body.prompt[0] : body.prompt
      if (typeof input !== 'string') throw new HttpError(400, "'prompt' must be a string", { param: 'prompt' })
    }
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${crypto.randomBytes(12).toString('hex')}`
    const object = chat ? 'chat.completion' : 'text_completion'
    const stamp = Math.floor(Date.now() / 1000)

    await slots.acquire()
    const abort = new AbortController()
    const onClose = () => {
      if (!res.writableFinished) abort.abort()
    }
    res.on('close', onClose)
    try {
      if (abort.signal.aborted || res.destroyed) return
      const gen = start(chat, input, { ...options, signal: abort.signal })
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
        const event = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`)
        const chunkObject = chat ? 'chat.completion.chunk' : 'text_completion'
        const base = { id, object: chunkObject, created: stamp, model: modelName }
        if (chat) event({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })
        let result
        gen.on('end', (r) => {
          result = r
        })
        for await (const chunk of gen) {
          if (!chunk.text) continue
          const ok = event({
            ...base,
            choices: [chat ? { index: 0, delta: { content: chunk.text }, finish_reason: null } : { index: 0, text: chunk.text, finish_reason: null, logprobs: null }],
          })
          if (!ok && !res.destroyed) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve))
          if (res.destroyed) break
        }
        result ??= await gen.done
        if (res.destroyed) return
        const reason = finishReason(result)
        event({
          ...base,
          choices: [chat ? { index: 0, delta: {}, finish_reason: reason } : { index: 0, text: '', finish_reason: reason, logprobs: null }],
          ...(body.stream_options?.include_usage ? { usage: usageOf(result) } : {}),
        })
        res.end('data: [DONE]\n\n')
      } else {
        let text = ''
        let result
        gen.on('end', (r) => {
          result = r
        })
        for await (const chunk of gen) text += chunk.text ?? ''
        result ??= await gen.done
        if (res.destroyed) return
        const choice = chat
          ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason(result), logprobs: null }
          : { index: 0, text, finish_reason: finishReason(result), logprobs: null }
        sendJson(res, 200, { id, object, created: stamp, model: modelName, choices: [choice], usage: usageOf(result) })
      }
    } finally {
      res.off('close', onClose)
      slots.release()
    }
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://localhost')
    const path = url.pathname.replace(/\/+$/, '')
    const routes = {
      '/v1/models': ['GET', () => sendJson(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created, owned_by: 'ghostkit' }] })],
      '/v1/completions': ['POST', () => complete(req, res, false)],
      '/v1/chat/completions': ['POST', () => complete(req, res, true)],
    }
    const route = routes[path]
    if (!route) throw new HttpError(404, `no route ${req.method} ${url.pathname}`, { code: 'not_found' })
    if (req.method !== route[0]) throw new HttpError(405, `${url.pathname} accepts ${route[0]} only`, { code: 'method_not_allowed' })
    checkAuth(req)
    await route[1]()
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.destroyed) sendError(res, engineError(error))
    })
  })
  server.keepAliveTimeout = 5000
  return server
}

/**
 * Starts the server; resolves to `{ server, url, close() }` once it listens.
 * `port` 0 picks a free port (read it from `url`).
 */
function serve(o) {
  const server = createServer(o)
  const host = o.host ?? '127.0.0.1'
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject)
      const { port } = server.address()
      const shown = host.includes(':') ? `[${host}]` : host
      resolve({
        server,
        url: `http://${shown}:${port}/v1`,
        close: () =>
          new Promise((r) => {
            server.close(() => r())
            server.closeAllConnections?.()
          }),
      })
    })
  })
}

module.exports = { createServer, serve, HttpError }
