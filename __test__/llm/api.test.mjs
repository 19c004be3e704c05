// ghostkit/llm behaviour the docs promise: errors for bad files and arguments, abort,
// context limits, concurrent generations, chat sessions, disposal.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const llm = require('../../lib/llm.js')
const here = path.dirname(fileURLToPath(import.meta.url))
const stories = path.resolve(here, '../../../shared/models/stories260K-f32.gguf')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ghostllm-'))

function writeVariant(name, mutate) {
  const bytes = Buffer.from(fs.readFileSync(stories))
  const out = path.join(tmp, name)
  fs.writeFileSync(out, mutate(bytes))
  return out
}

test('a truncated file is an INVALID_MODEL error naming the problem', async () => {
  const file = writeVariant('truncated.gguf', (b) => b.subarray(0, b.length - 100))
  await assert.rejects(llm.loadModel(file), (e) => {
    assert.equal(e.code, 'ERR_GHOSTKIT_LLM_INVALID_MODEL')
    assert.match(e.message, /past the end of the file/)
    return true
  })
  const header = writeVariant('header.gguf', (b) => b.subarray(0, 40))
  await assert.rejects(llm.loadModel(header), { code: 'ERR_GHOSTKIT_LLM_INVALID_MODEL' })
})

test('corrupt files (bad magic, huge counts, random bytes) are errors, never crashes', async () => {
  const magic = writeVariant('magic.gguf', (b) => Buffer.concat([Buffer.from('GGUX'), b.subarray(4)]))
  await assert.rejects(llm.loadModel(magic), (e) => e.code === 'ERR_GHOSTKIT_LLM_INVALID_MODEL' && /magic/.test(e.message))
  const count = writeVariant('count.gguf', (b) => {
    b.writeBigUInt64LE(0xffffffffffffn, 8)
    return b
  })
  await assert.rejects(llm.loadModel(count), { code: 'ERR_GHOSTKIT_LLM_INVALID_MODEL' })
  let seed = 7
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
  for (let i = 0; i < 30; i++) {
    const file = writeVariant(`fuzz${i}.gguf`, (b) => {
      for (let k = 0; k < 4; k++) b[rand() % 4096] = rand() % 256
      return b
    })
    try {
      const model = await llm.loadModel(file, { threads: 1 })
      await model.dispose()
    } catch (e) {
      assert.match(e.code, /^ERR_GHOSTKIT_LLM_(INVALID_MODEL|UNSUPPORTED)$/, e.message)
    }
  }
})

test('an unknown architecture is UNSUPPORTED and names it', async () => {
  const file = writeVariant('arch.gguf', (b) => {
    const at = b.indexOf('llama', b.indexOf('general.architecture'))
    b.write('mamba', at)
    return b
  })
  await assert.rejects(llm.loadModel(file), (e) => e.code === 'ERR_GHOSTKIT_LLM_UNSUPPORTED' && /mamba/.test(e.message))
})

test('a missing file is an IO error; bad arguments are typed errors', async () => {
  await assert.rejects(llm.loadModel(path.join(tmp, 'nope.gguf')), { code: 'ERR_GHOSTKIT_LLM_IO' })
  await assert.rejects(llm.loadModel(42), { code: 'ERR_GHOSTKIT_INVALID_ARG_TYPE' })
  await assert.rejects(llm.loadModel(stories, { threads: 0 }), { code: 'ERR_GHOSTKIT_INVALID_ARG_VALUE' })
  const controller = new AbortController()
  controller.abort()
  await assert.rejects(llm.loadModel(stories, { signal: controller.signal }), { name: 'AbortError', code: 'ERR_GHOSTKIT_LLM_ABORTED' })
})

test('prompts longer than the context are CONTEXT_FULL; a full context ends with contextFull', async () => {
  const model = await llm.loadModel(stories, { threads: 1, contextSize: 16 })
  try {
    assert.throws(() => model.generate('Once upon a time '.repeat(10)), { code: 'ERR_GHOSTKIT_LLM_CONTEXT_FULL' })
    const end = await model.generate('Once upon a time', { temperature: 0, maxTokens: 100 }).done
    assert.equal(end.reason, 'contextFull')
    // Every evaluated token takes a cache slot; the last sampled one is never evaluated.
    assert.equal(end.timings.promptTokens + end.timings.generatedTokens, 17)
    assert.throws(() => model.generate([1, 9999]), { code: 'ERR_GHOSTKIT_LLM_BAD_TOKEN' })
    assert.throws(() => model.generate('x', { topP: 2 }), { code: 'ERR_GHOSTKIT_INVALID_ARG_VALUE' })
  } finally {
    await model.dispose()
  }
})

test('abort mid-stream stops within one token with reason abort', async () => {
  const model = await llm.loadModel(stories, { threads: 1, contextSize: 512 })
  try {
    const controller = new AbortController()
    const generation = model.generate('Once upon a time', { temperature: 0, maxTokens: 400, signal: controller.signal })
    let seen = 0
    let atAbort = 0
    let tokenEvents = 0
    let eventsAtAbort = 0
    generation.on('token', () => tokenEvents++)
    for await (const chunk of generation) {
      assert.equal(typeof chunk.text, 'string')
      seen++
      if (seen === 5) {
        controller.abort()
        atAbort = seen
        eventsAtAbort = tokenEvents
      }
    }
    const end = await generation.done
    assert.equal(end.reason, 'abort')
    // Nothing is emitted or iterated once abort() returned, even tokens already computed.
    assert.equal(seen, atAbort)
    assert.equal(tokenEvents, eventsAtAbort)
    assert.ok(end.timings.generatedTokens < 400)
  } finally {
    await model.dispose()
  }
})

// The native side computes ahead of JS into a bounded outbox (32 tokens) and hands over
// everything there in one event-loop turn.
const AHEAD = 32

test('tokens delivered in batches arrive complete and in order', async () => {
  const model = await llm.loadModel(stories, { threads: 1, contextSize: 512 })
  try {
    const options = { temperature: 0, maxTokens: 120 }
    const lone = []
    for await (const chunk of model.generate('Once upon a time', options)) lone.push(chunk)
    // A consumer that blocks the event loop now and then gets tokens in batches.
    const batched = []
    const generation = model.generate('Once upon a time', options)
    generation.on('token', (chunk) => {
      batched.push(chunk)
      if (batched.length % 16 === 1) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30)
    })
    const end = await generation.done
    assert.deepEqual(batched.map((c) => c.id), lone.map((c) => c.id))
    assert.equal(end.text, lone.map((c) => c.text).join(''))
    assert.equal(batched.map((c) => c.text).join(''), end.text)
  } finally {
    await model.dispose()
  }
})

test('a stalled consumer bounds how far the generation runs ahead; abort still ends it', async () => {
  const model = await llm.loadModel(stories, { threads: 1, contextSize: 512 })
  try {
    const generation = model.generate('Once upon a time', { temperature: 0, maxTokens: 400 })
    let tokens = 0
    let afterAbort = 0
    let aborted = false
    generation.on('token', () => {
      if (aborted) afterAbort++
      if (++tokens === 1) {
        // Stall the event loop long enough for ~all 400 tokens, had nothing held them back.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300)
        generation.abort()
        aborted = true
      }
    })
    const end = await generation.done
    assert.equal(end.reason, 'abort')
    assert.equal(afterAbort, 0)
    assert.equal(tokens, 1)
    // The batch holding the first token (≤ AHEAD), at most AHEAD more waiting in the
    // outbox, one being computed when abort() came.
    assert.ok(end.timings.generatedTokens <= 2 * AHEAD + 1, `${end.timings.generatedTokens} tokens computed`)
  } finally {
    await model.dispose()
  }
})

test('8 concurrent generations each get the same text as a lone run', async () => {
  const model = await llm.loadModel(stories, { threads: 2, contextSize: 128 })
  try {
    const alone = await model.generate('Once upon a time', { temperature: 0, maxTokens: 24 }).text()
    const prompts = Array.from({ length: 8 }, () => model.generate('Once upon a time', { temperature: 0, maxTokens: 24 }))
    const texts = await Promise.all(prompts.map((g) => g.text()))
    for (const text of texts) assert.equal(text, alone)
    const seeded = await Promise.all([1, 1, 2].map((seed) => model.generate('Lily', { seed, maxTokens: 16, temperature: 1 }).text()))
    assert.equal(seeded[0], seeded[1])
  } finally {
    await model.dispose()
  }
})

test('events, stop sequences, detokenize, chat sessions and dispose', async () => {
  const model = await llm.loadModel(stories, { threads: 1 })
  const events = []
  const generation = model.generate('Once upon a time', { temperature: 0, maxTokens: 48, stop: ['Lily'] })
  generation.on('text', (t) => events.push(t))
  const end = await new Promise((resolve) => generation.on('end', resolve))
  assert.equal(end.reason, 'stop')
  assert.equal(end.text, ', there was a little girl named ')
  assert.equal(events.join(''), end.text)
  assert.equal(model.detokenize([403, 407, 261, 378]), 'Once upon a time')
  assert.throws(() => model.createChatSession(), { code: 'ERR_GHOSTKIT_LLM_BAD_TEMPLATE' })
  const chat = model.createChatSession({ template: 'chatml', systemPrompt: 'Be brief.' })
  assert.match(chat.render(), /<\|im_start\|>system\nBe brief\.<\|im_end\|>/)
  const reply = await chat.prompt('Hi', { maxTokens: 4, temperature: 0 })
  assert.equal(typeof reply, 'string')
  assert.deepEqual(chat.history.map((m) => m.role), ['system', 'user', 'assistant'])
  assert.throws(() => model.createChatSession({ template: 'nope' }), { code: 'ERR_GHOSTKIT_LLM_UNSUPPORTED' })
  const running = model.generate('Once upon a time', { maxTokens: 100000, temperature: 0, contextSize: 512 })
  await model.dispose()
  assert.equal((await running.done).reason, 'abort')
  assert.equal(model.disposed, true)
  assert.throws(() => model.tokenize('x'), { code: 'ERR_GHOSTKIT_LLM_DISPOSED' })
})
