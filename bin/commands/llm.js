'use strict'
const { UsageError, RuntimeError, firstLine } = require('../lib/cli.js')
const { MODEL_OPTIONS, number, openModel, fallbackTemplate } = require('../lib/llm.js')

module.exports = {
  summary: 'local LLM tools: serve a GGUF model over an OpenAI-compatible HTTP API',
  usage: `Usage: ghostkit llm serve --model FILE [options]

Serves the model with an OpenAI-compatible API: GET /v1/models, POST /v1/completions,
POST /v1/chat/completions (with "stream": true for server-sent events). Prints the
base URL on standard output once it listens; Ctrl-C (SIGINT/SIGTERM) stops it.

Options:
  -m, --model FILE          the GGUF model file
      --host HOST           address to listen on (default 127.0.0.1)
  -p, --port N              port (default 8080; 0 picks a free one)
      --name ID             the model id clients send and /v1/models lists
                            (default: the file name without .gguf)
      --api-key KEY         require 'Authorization: Bearer KEY' (default: $GHOSTKIT_LLM_API_KEY)
      --parallel N          generations at once (default 4; more requests wait)
      --template NAME       chat template: gemma, llama2, llama3, chatml (default:
                            detected from the model's tokenizer.chat_template)
      --threads N           worker threads per generation
      --context-size N      tokens of context per generation
  -h, --help                show this help`,
  options: {
    model: MODEL_OPTIONS.model,
    threads: MODEL_OPTIONS.threads,
    'context-size': MODEL_OPTIONS['context-size'],
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', short: 'p', default: '8080' },
    name: { type: 'string' },
    'api-key': { type: 'string' },
    parallel: { type: 'string', default: '4' },
    template: { type: 'string' },
  },

  async run({ values, positionals }) {
    if (positionals[0] !== 'serve' || positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? "llm needs a subcommand ('serve')" : `unknown llm subcommand '${positionals.join(' ')}'`)
    }
    if (values.model === undefined) throw new UsageError('--model FILE is required')
    const port = number(values, 'port', { integer: true, min: 0, max: 65535 })
    const parallel = number(values, 'parallel', { integer: true, min: 1, max: 256 })
    const path = require('node:path')
    const name = values.name ?? path.basename(values.model).replace(/\.gguf$/i, '')
    const { model, close } = await openModel({ model: values.model, threads: values.threads, 'context-size': values['context-size'] })
    const { serve } = require('../../lib/llm-server.js')
    let server
    try {
      server = await serve({
        model,
        modelName: name,
        host: values.host,
        port,
        parallel,
        chatTemplate: values.template ?? fallbackTemplate(model),
        apiKey: values['api-key'] ?? process.env.GHOSTKIT_LLM_API_KEY,
      })
    } catch (err) {
      await close()
      throw new RuntimeError(`cannot listen on ${values.host}:${port}: ${firstLine(err.message)}`)
    }
    process.stdout.write(`${server.url}\n`)
    await new Promise((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await server.close()
    await close()
    return 0
  },
}
