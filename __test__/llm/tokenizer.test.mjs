// model.tokenize / model.detokenize against llama.cpp (fixtures written by
// scripts/llm-fixtures.py with llama-cpp-python 0.3.36): tricky text — emoji, CJK, code,
// leading and repeated spaces, newlines, special tokens with and without parsing,
// invalid UTF-8 — on the stories260K and gemma-3 (262k) SentencePiece vocabularies. The
// byte-level BPE vocabularies (no weights to load) are checked by the Zig test
// zig/src/llm/tokenizer_fixtures_test.zig.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const llm = require('../../lib/llm.js')
const { gemma3Model } = require('../../scripts/peers/gemma3.js')
const FIXTURES = path.join(here, 'fixtures')
const MODELS = path.join(here, '..', '..', '..', 'shared', 'models')

const VOCABS = [
  ['stories260K', () => path.join(MODELS, 'stories260K-f32.gguf')],
  ['gemma3', () => gemma3Model()],
]

for (const [name, file] of VOCABS) {
  describe(`tokenizer ${name} = llama.cpp`, () => {
    const fx = JSON.parse(fs.readFileSync(path.join(FIXTURES, `tokenizer-${name}.json`), 'utf8'))
    let model
    before(async () => {
      model = await llm.loadModel(file(), { threads: 1, contextSize: 64 })
    })
    after(() => model?.dispose())

    test('tokenize with every add_special / parse_special combination', () => {
      let checked = 0
      for (const c of fx.cases) {
        if (c.text === null) continue // raw invalid UTF-8: a JS string cannot carry it
        for (const [key, want] of Object.entries(c.ids)) {
          const addSpecial = key.includes('add_special=true')
          const parseSpecial = key.includes('parse_special=true')
          assert.deepEqual(model.tokenize(c.text, { addSpecial, parseSpecial }), want, `${JSON.stringify(c.text)} ${key}`)
          checked++
        }
      }
      assert.ok(checked >= 80)
    })

    test('detokenize, with and without special tokens', () => {
      for (const c of fx.cases) {
        const ids = c.ids['add_special=true,parse_special=true']
        assert.equal(model.detokenize(ids, { special: true }), Buffer.from(c.detok_hex, 'hex').toString('utf8'), JSON.stringify(c.text))
        assert.equal(model.detokenize(ids, { special: false }), Buffer.from(c.detok_plain_hex, 'hex').toString('utf8'), JSON.stringify(c.text))
      }
    })

    test('bad arguments are typed errors', () => {
      assert.throws(() => model.tokenize(42), { code: 'ERR_GHOSTKIT_INVALID_ARG_TYPE' })
      assert.throws(() => model.detokenize([model.metadata.vocabSize]), (e) => typeof e.code === 'string')
    })
  })
}

// Random-weight models emit byte tokens (<0x..>) freely, so their streams cut UTF-8
// characters across tokens: the streamed chunks must hold a character back until it is
// complete, and add up to exactly the one-shot decoding of the same ids.
test('streamed text never splits a UTF-8 character', async () => {
  let held = 0
  for (const name of ['random-F32', 'random-Q8_0', 'random-Q4_K_M']) {
    const model = await llm.loadModel(path.join(MODELS, `${name}.gguf`), { threads: 1, contextSize: 128 })
    try {
      const chunks = []
      for await (const chunk of model.generate('Once upon a time', { maxTokens: 32, temperature: 0 })) chunks.push(chunk)
      const ids = chunks.map((c) => c.id)
      assert.ok(ids.some((id) => id >= 3 && id < 259), `${name}: the output has byte tokens`)
      assert.equal(chunks.map((c) => c.text).join(''), model.detokenize(ids), name)
      held += chunks.filter((c) => c.text === '').length
    } finally {
      await model.dispose()
    }
  }
  assert.ok(held > 0, 'some character was held back across tokens')
})
