// llm.connect() against a real OpenAI-compatible server: llama-cpp-python's
// (scripts/peers/llama-cpp.js), serving stories260K on 127.0.0.1.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
// Through the package entry, as users reach it: ghostkit.llm.connect.
const { connect, LlmRemoteError } = require('../../index.js').llm
const { startLlamaServer } = require('../../scripts/peers/llama-cpp.js')

const MODEL = path.join(here, '..', '..', '..', 'shared', 'models', 'stories260K-f32.gguf')
const fixture = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'stories260K-f32.json'), 'utf8'))
const API_KEY = 'test-key-123'
const GREEDY = { temperature: 0, repeatPenalty: 1, topK: 1, seed: 1 }

let server
let remote

before(async () => {
  server = await startLlamaServer({ model: MODEL, apiKey: API_KEY, chatFormat: 'chatml', alias: 'stories' })
  remote = connect({ baseURL: server.baseURL, apiKey: API_KEY, model: 'stories' })
})

after(async () => {
  remote?.close()
  await server?.close()
})

describe('llm.connect against llama-cpp-python', () => {
  test('lists the model', async () => {
    const models = await remote.listModels()
    assert.ok(models.some((m) => m.id === 'stories'), JSON.stringify(models))
  })

  test('streams a greedy completion equal to the llama.cpp reference', async () => {
    const gen = remote.generate(fixture.prompt, { ...GREEDY, maxTokens: 24 })
    const chunks = []
    for await (const chunk of gen) {
      assert.equal(typeof chunk.text, 'string')
      chunks.push(chunk.text)
    }
    const result = await gen.done
    const text = chunks.join('')
    assert.ok(chunks.length > 1, 'more than one chunk arrived')
    assert.equal(result.text, text)
    assert.equal(result.reason, 'maxTokens')
    // The server's greedy tokens are llama.cpp's: the same text as the fixture (which
    // decoded 48 tokens; 24 give a prefix of it).
    assert.ok(fixture.greedy_text.startsWith(text.trimStart()), `${JSON.stringify(text)} vs ${JSON.stringify(fixture.greedy_text)}`)
    assert.ok(text.length > 40)
  })

  test('emits token, text and end events; text() resolves the whole text', async () => {
    const gen = remote.generate(fixture.prompt, { ...GREEDY, maxTokens: 8 })
    const texts = []
    let tokens = 0
    let ended
    gen.on('token', (c) => {
      tokens++
      assert.equal(typeof c.text, 'string')
    })
    gen.on('text', (t) => texts.push(t))
    gen.on('end', (r) => {
      ended = r
    })
    const whole = await gen.text()
    assert.equal(whole, texts.join(''))
    assert.equal(tokens, texts.length)
    assert.equal(ended.reason, 'maxTokens')
    assert.ok(ended.timings.totalMs >= 0)
  })

  test('stop sequences end the stream early', async () => {
    const r = await remote.generate(fixture.prompt, { ...GREEDY, maxTokens: 48, stop: ['Lily'] }).done
    assert.equal(r.reason, 'stop')
    assert.ok(!r.text.includes('Lily'))
    assert.ok(fixture.greedy_text.startsWith(r.text.trimStart()))
    assert.ok(r.text.includes('little girl named'))
  })

  test('an AbortSignal stops the stream; the server keeps serving', async () => {
    const ac = new AbortController()
    const gen = remote.generate(fixture.prompt, { ...GREEDY, maxTokens: 400, signal: ac.signal })
    let n = 0
    for await (const chunk of gen) {
      assert.ok(chunk.text)
      if (++n === 3) ac.abort()
    }
    const r = await gen.done
    assert.equal(r.reason, 'abort')
    assert.ok(n >= 3 && n < 400)
    const again = await remote.generate(fixture.prompt, { ...GREEDY, maxTokens: 4 }).text()
    assert.ok(again.length > 0)
  })

  test('breaking out of the iterator aborts the generation', async () => {
    const gen = remote.generate(fixture.prompt, { ...GREEDY, maxTokens: 400 })
    for await (const _ of gen) break
    const r = await gen.done
    assert.equal(r.reason, 'abort')
  })

  test('a chat session keeps its history through the server', async () => {
    const session = remote.createChatSession({ systemPrompt: 'You tell stories.' })
    const first = await session.prompt('Once upon a time', { ...GREEDY, maxTokens: 12 })
    assert.ok(first.length > 0)
    assert.deepEqual(session.history.map((m) => m.role), ['system', 'user', 'assistant'])
    assert.equal(session.history[2].content, first)
    const second = session.promptStream('And then?', { ...GREEDY, maxTokens: 12 })
    assert.throws(() => session.promptStream('too soon'), { code: 'ERR_GHOSTKIT_LLM_BUSY' })
    await second.text()
    assert.deepEqual(session.history.map((m) => m.role), ['system', 'user', 'assistant', 'user', 'assistant'])
  })

  test('a wrong API key is an HTTP error with the status', async () => {
    const bad = connect({ baseURL: server.baseURL, apiKey: 'wrong', model: 'stories' })
    await assert.rejects(bad.generate('Once', { maxTokens: 2 }).text(), (e) => {
      assert.ok(e instanceof LlmRemoteError)
      assert.equal(e.code, 'ERR_GHOSTKIT_LLM_REMOTE_HTTP')
      assert.equal(e.status, 401)
      return true
    })
    await assert.rejects(bad.listModels(), { code: 'ERR_GHOSTKIT_LLM_REMOTE_HTTP', status: 401 })
  })

  test('an unreachable server rejects with a clear code', async () => {
    const net = await import('node:net')
    const port = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port
        s.close(() => resolve(p))
      })
    })
    const gone = connect({ baseURL: `http://127.0.0.1:${port}/v1` })
    const gen = gone.generate('x')
    const errors = []
    gen.on('error', (e) => errors.push(e))
    await assert.rejects(gen.text(), { code: 'ERR_GHOSTKIT_LLM_REMOTE_UNREACHABLE' })
    assert.equal(errors.length, 1)
  })

  test('bad arguments throw typed errors', () => {
    assert.throws(() => connect(), { code: 'ERR_GHOSTKIT_INVALID_ARG_TYPE' })
    assert.throws(() => connect({ baseURL: 'not a url' }), { code: 'ERR_GHOSTKIT_INVALID_ARG_VALUE' })
    assert.throws(() => connect({ baseURL: 'ftp://x/' }), { code: 'ERR_GHOSTKIT_INVALID_ARG_VALUE' })
    assert.throws(() => remote.generate(42), { code: 'ERR_GHOSTKIT_INVALID_ARG_TYPE' })
    assert.throws(() => remote.generate('x', { maxTokens: 0 }), { code: 'ERR_GHOSTKIT_INVALID_ARG_VALUE' })
    assert.throws(() => remote.generate('x', { temperature: 'hot' }), { code: 'ERR_GHOSTKIT_INVALID_ARG_TYPE' })
    assert.throws(() => remote.generate('x', { stop: [''] }), { code: 'ERR_GHOSTKIT_INVALID_ARG_TYPE' })
    assert.throws(() => remote.chat([]), { code: 'ERR_GHOSTKIT_INVALID_ARG_TYPE' })
    assert.throws(() => remote.chat([{ role: 'user' }]), { code: 'ERR_GHOSTKIT_INVALID_ARG_TYPE' })
  })

  test('a closed client refuses new work', () => {
    const c = connect({ baseURL: server.baseURL, apiKey: API_KEY })
    c.close()
    assert.throws(() => c.generate('x'), { code: 'ERR_GHOSTKIT_LLM_CLOSED' })
  })
})
