// ghostkit generate / chat / llm serve, run as child processes.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const CLI = path.join(here, '..', '..', 'bin', 'ghostkit.js')
const MODEL = path.join(here, '..', '..', '..', 'shared', 'models', 'stories260K-f32.gguf')
const fixture = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'stories260K-f32.json'), 'utf8'))
const { startLlamaServer } = require('../../scripts/peers/llama-cpp.js')

function ghostkit(args, { input = '', env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input)
  })
}

function assertCleanError(r, code) {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: ${r.stderr}`)
  assert.match(r.stderr, /^ghostkit: \S.*\n$/)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
}

let server
before(async () => {
  server = await startLlamaServer({ model: MODEL, chatFormat: 'chatml', alias: 'stories' })
})
after(async () => {
  await server?.close()
})

const GREEDY = ['-t', '0', '--top-k', '1', '--repeat-penalty', '1']

test('generate --url streams llama.cpp\'s greedy continuation', async () => {
  const r = await ghostkit(['generate', '--url', server.baseURL, '--remote-model', 'stories', '-n', '20', ...GREEDY, fixture.prompt])
  assert.equal(r.code, 0, r.stderr)
  const text = r.stdout.replace(/\n$/, '')
  assert.ok(text.length > 30)
  assert.ok(fixture.greedy_text.startsWith(text.trimStart()), JSON.stringify(text))
  assert.equal(r.stderr, '[token limit]\n')
})

test('generate reads the prompt from standard input and honours --stop and -q', async () => {
  const r = await ghostkit(['generate', '--url', server.baseURL, '-n', '48', ...GREEDY, '--stop', 'Lily', '-q', '-'], { input: fixture.prompt })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '')
  assert.ok(!r.stdout.includes('Lily'))
  assert.ok(r.stdout.includes('named'))
})

test('chat --url answers each line and keeps going until /exit', async () => {
  const r = await ghostkit(['chat', '--url', server.baseURL, '-n', '8', '--system', 'You tell stories.', ...GREEDY], {
    input: 'Once upon a time\nAnd then?\n/exit\nnot sent\n',
  })
  assert.equal(r.code, 0, r.stderr)
  const replies = r.stdout.split('\n').filter(Boolean)
  assert.ok(replies.length >= 2, JSON.stringify(r.stdout))
})

test('usage and runtime errors are one clean line', async () => {
  assertCleanError(await ghostkit(['generate', 'x']), 2)
  assertCleanError(await ghostkit(['generate', '--model', MODEL, '--url', server.baseURL, 'x']), 2)
  assertCleanError(await ghostkit(['generate', '--url', server.baseURL, '-n', 'many', 'x']), 2)
  assertCleanError(await ghostkit(['generate', '--url', server.baseURL, '--top-p', '2', 'x']), 2)
  assertCleanError(await ghostkit(['generate', '--model', '/nonexistent/model.gguf', 'x']), 1)
  assertCleanError(await ghostkit(['generate', '--url', 'notaurl', 'x']), 2)
  assertCleanError(await ghostkit(['llm']), 2)
  assertCleanError(await ghostkit(['llm', 'serve']), 2)
  assertCleanError(await ghostkit(['llm', 'dance']), 2)
  assertCleanError(await ghostkit(['chat', 'extra']), 2)
})

test('--help describes the llm commands', async () => {
  const r = await ghostkit(['--help'])
  assert.match(r.stdout, /generate[\s\S]*llm/)
  for (const c of ['generate', 'chat', 'llm']) {
    const h = await ghostkit([c, '--help'])
    assert.equal(h.code, 0)
    assert.match(h.stdout, /^Usage: ghostkit /)
  }
})

test('generate --model runs the local engine: llama.cpp\'s greedy text', async () => {
  const r = await ghostkit(['generate', '--model', MODEL, '--threads', '1', '-n', '48', '-t', '0', fixture.prompt])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.replace(/\n$/, '').trimStart(), fixture.greedy_text.trimStart())
  assert.equal(r.stderr, '[token limit]\n')
})

test('llm serve --model answers /v1/models and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [CLI, 'llm', 'serve', '--model', MODEL, '--port', '0', '--name', 'tiny', '--threads', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve(out.trim())
    })
    child.once('exit', (code) => reject(new Error(`llm serve exited ${code}: ${stderr}`)))
  })
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
  const models = await (await fetch(`${url}/models`)).json()
  assert.deepEqual(models.data.map((m) => m.id), ['tiny'])
  const r = await fetch(`${url}/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: fixture.prompt, max_tokens: 12, temperature: 0 }),
  })
  const body = await r.json()
  assert.ok(fixture.greedy_text.startsWith(body.choices[0].text.trimStart()), JSON.stringify(body))
  const code = await new Promise((resolve) => {
    child.once('exit', (c) => resolve(c))
    child.kill('SIGTERM')
  })
  assert.equal(code, 0, stderr)
})
