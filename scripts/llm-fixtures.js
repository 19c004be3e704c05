'use strict'
// Regenerates the llama.cpp reference fixtures in __test__/llm/fixtures/ with
// scripts/llm-fixtures.py, after installing its peers (llama-cpp-python, gemma-3-270m).
//
//   node scripts/llm-fixtures.js
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { llamaCpp } = require('./peers/llama-cpp.js')
const { gemma3Model } = require('./peers/gemma3.js')

const root = path.join(__dirname, '..')
const models = path.join(root, '..', 'shared', 'models')
const out = path.join(root, '__test__', 'llm', 'fixtures')

const peer = llamaCpp()
const gemma = gemma3Model()
const r = spawnSync(peer.python, [path.join(__dirname, 'llm-fixtures.py'), models, gemma, out], {
  env: peer.env,
  stdio: 'inherit',
})
if (r.status !== 0) {
  console.error(`llm-fixtures.py failed (${r.status ?? r.signal})`)
  process.exit(1)
}
