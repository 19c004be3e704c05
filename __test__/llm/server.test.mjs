// `ghostkit llm serve`'s HTTP server (lib/llm-server.js), driven by the official `openai`
// npm client: over the local engine (stories260K: greedy output equals llama.cpp's), and
// as a gateway over llm.connect() to llama-cpp-python's server.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const { serve } = require('../../lib/llm-server.js')
const { connect } = require('../../lib/llm-remote.js')
const { startLlamaServer } = require('../../scripts/peers/llama-cpp.js')

const MODEL = path.join(here, '..', '..', '..', 'shared', 'models', 'stories260K-f32.gguf')
const fixture = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'stories260K-f32.json'), 'utf8'))
const KEY = 'sk-ghostkit-test'

/** The suite, run once per backend; `open()` resolves to { model, close }. */
function suite(name, open, { engineErrors = false } = {}) {
  describe(`llm serve (${name}) with the openai client`, () => {
    let backend
    let server
    let client
    before(async () => {
      backend = await open()
      // stories260K has no chat template of its own: chats use ChatML text
      server = await serve({ model: backend.model, modelName: 'stories', apiKey: KEY, port: 0, parallel: 2, chatTemplate: 'chatml' })
      client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0, timeout: 60_000 })
    })
    after(async () => {
      await server?.close()
      await backend?.close()
    })

    test('GET /v1/models lists the model', async () => {
      const page = await client.models.list()
      assert.deepEqual(page.data.map((m) => m.id), ['stories'])
    })

    test('a completion is llama.cpp\'s greedy continuation', async () => {
      const r = await client.completions.create({ model: 'stories', prompt: fixture.prompt, max_tokens: 20, temperature: 0, top_k: 1, repeat_penalty: 1 })
      assert.equal(r.object, 'text_completion')
      assert.equal(r.choices[0].finish_reason, 'length')
      const text = r.choices[0].text
      assert.ok(text.length > 30)
      assert.ok(fixture.greedy_text.startsWith(text.trimStart()), `${JSON.stringify(text)} is not a prefix of the reference`)
    })

    test('a streamed completion arrives in pieces that add up to the same text', async () => {
      const whole = await client.completions.create({ model: 'stories', prompt: fixture.prompt, max_tokens: 16, temperature: 0, top_k: 1, repeat_penalty: 1 })
      const stream = await client.completions.create({ model: 'stories', prompt: fixture.prompt, max_tokens: 16, temperature: 0, top_k: 1, repeat_penalty: 1, stream: true })
      const parts = []
      let finish
      for await (const chunk of stream) {
        parts.push(chunk.choices[0].text)
        finish = chunk.choices[0].finish_reason ?? finish
      }
      assert.ok(parts.filter(Boolean).length > 1)
      assert.equal(parts.join(''), whole.choices[0].text)
      assert.equal(finish, 'length')
    })

    test('chat completions, plain and streamed, with a stop sequence', async () => {
      const messages = [
        { role: 'system', content: 'You tell stories.' },
        { role: 'user', content: 'Once upon a time' },
      ]
      const r = await client.chat.completions.create({ model: 'stories', messages, max_tokens: 12, temperature: 0 })
      assert.equal(r.object, 'chat.completion')
      assert.equal(r.choices[0].message.role, 'assistant')
      assert.equal(typeof r.choices[0].message.content, 'string')
      const stream = await client.chat.completions.create({ model: 'stories', messages, max_tokens: 12, temperature: 0, stream: true })
      let text = ''
      let role
      let finish
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'chat.completion.chunk')
        role ??= chunk.choices[0].delta.role
        text += chunk.choices[0].delta.content ?? ''
        finish = chunk.choices[0].finish_reason ?? finish
      }
      assert.equal(role, 'assistant')
      assert.equal(text, r.choices[0].message.content)
      assert.ok(['stop', 'length'].includes(finish))
      const stopped = await client.completions.create({ model: 'stories', prompt: fixture.prompt, max_tokens: 48, temperature: 0, top_k: 1, repeat_penalty: 1, stop: ['Lily'] })
      assert.equal(stopped.choices[0].finish_reason, 'stop')
      assert.ok(!stopped.choices[0].text.includes('Lily'))
      assert.ok(stopped.choices[0].text.includes('named'))
    })

    test('errors are OpenAI-shaped with the right status', async () => {
      await assert.rejects(client.completions.create({ model: 'nope', prompt: 'x' }), (e) => e instanceof OpenAI.NotFoundError && /nope/.test(e.message))
      await assert.rejects(client.completions.create({ model: 'stories', prompt: 'x', max_tokens: -3 }), (e) => e instanceof OpenAI.BadRequestError && e.param === 'max_tokens')
      await assert.rejects(client.completions.create({ model: 'stories', prompt: 'x', n: 2 }), (e) => e instanceof OpenAI.BadRequestError)
      await assert.rejects(client.chat.completions.create({ model: 'stories', messages: [] }), (e) => e instanceof OpenAI.BadRequestError)
      const wrongKey = new OpenAI({ baseURL: server.url, apiKey: 'wrong', maxRetries: 0 })
      await assert.rejects(wrongKey.models.list(), (e) => e instanceof OpenAI.AuthenticationError)
      const raw = await fetch(`${server.url}/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: '{"prompt": ' })
      assert.equal(raw.status, 400)
      const body = await raw.json()
      assert.equal(body.error.type, 'invalid_request_error')
      const missing = await fetch(`${server.url}/nothing`, { headers: { authorization: `Bearer ${KEY}` } })
      assert.equal(missing.status, 404)
      assert.ok((await missing.json()).error.message)
      const wrongMethod = await fetch(`${server.url}/models`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}` } })
      assert.equal(wrongMethod.status, 405)
    })

    // Only over the local engine, which refuses an over-long prompt before answering:
    // llama-cpp-python answers a streamed one with an empty 200 stream, so a gateway in
    // front of it has no error to pass on.
    if (engineErrors) {
      test('a prompt longer than the context is a 400 context_length_exceeded', async () => {
        const long = 'Once upon a time there was a little girl. '.repeat(80)
        await assert.rejects(
          client.completions.create({ model: 'stories', prompt: long, max_tokens: 4 }),
          (e) => e instanceof OpenAI.BadRequestError && e.code === 'context_length_exceeded',
        )
        const chunks = await client.completions.create({ model: 'stories', prompt: long, max_tokens: 4, stream: true }).catch((e) => e)
        assert.ok(chunks instanceof OpenAI.BadRequestError)
      })
    }

    test('a client that goes away mid-stream frees its slot', async () => {
      const ac = new AbortController()
      const stream = await client.completions.create(
        { model: 'stories', prompt: fixture.prompt, max_tokens: 400, temperature: 0, stream: true },
        { signal: ac.signal },
      )
      let n = 0
      try {
        for await (const _ of stream) if (++n === 3) ac.abort()
      } catch (error) {
        assert.ok(ac.signal.aborted, `${error.name}: ${error.message}`)
      }
      // (chunks already received may still be read after the abort)
      assert.ok(n >= 3)
      // both slots (parallel: 2) are free again: two requests at once both complete (a
      // leaked slot would leave one waiting), then a lone one gives the greedy text.
      const both = await Promise.all([
        client.completions.create({ model: 'stories', prompt: 'Once', max_tokens: 4, temperature: 0 }),
        client.completions.create({ model: 'stories', prompt: 'Once', max_tokens: 4, temperature: 0 }),
      ])
      for (const r of both) assert.equal(r.object, 'text_completion')
      const alone = await client.completions.create({ model: 'stories', prompt: fixture.prompt, max_tokens: 6, temperature: 0, top_k: 1, repeat_penalty: 1 })
      assert.ok(fixture.greedy_text.startsWith(alone.choices[0].text.trimStart()))
    })
  })
}

let llamaServer
suite('gateway over llm.connect to llama-cpp-python', async () => {
  llamaServer = await startLlamaServer({ model: MODEL, chatFormat: 'chatml', alias: 'stories' })
  const remote = connect({ baseURL: llamaServer.baseURL, model: 'stories' })
  return {
    model: remote,
    close: async () => {
      remote.close()
      await llamaServer.close()
    },
  }
})

suite('local engine, stories260K', async () => {
  const llm = require('../../lib/llm.js')
  const model = await llm.loadModel(MODEL, { threads: 1, contextSize: 512 })
  return { model, close: () => model.dispose() }
}, { engineErrors: true })
