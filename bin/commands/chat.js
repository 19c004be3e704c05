'use strict'
const readline = require('node:readline')
const { SAMPLING_OPTIONS, MODEL_OPTIONS, SAMPLING_HELP, MODEL_HELP, samplingOptions, openModel, streamToStdout, fallbackTemplate } = require('../lib/llm.js')
const { UsageError, RuntimeError, firstLine } = require('../lib/cli.js')

module.exports = {
  summary: 'chat with a local GGUF model (or an OpenAI-compatible server)',
  usage: `Usage: ghostkit chat (--model FILE | --url URL) [options]

Reads your messages line by line from standard input and streams each reply, keeping
the conversation's history through the model's chat template. Ctrl-C stops a reply;
Ctrl-D (end of input) or '/exit' ends the chat.

Options:
${MODEL_HELP}
      --system TEXT         the system prompt
      --template NAME       chat template: gemma, llama2, llama3, chatml (default: the model's)
${SAMPLING_HELP}
  -h, --help                show this help`,
  options: { ...MODEL_OPTIONS, ...SAMPLING_OPTIONS, system: { type: 'string' }, template: { type: 'string' } },

  async run({ values, positionals }) {
    if (positionals.length > 0) throw new UsageError('chat takes no positional arguments')
    const options = samplingOptions(values)
    const { model, close } = await openModel(values)
    let session
    try {
      const template = values.template ?? fallbackTemplate(model)
      session = model.createChatSession({ systemPrompt: values.system, ...(template ? { template } : {}) })
    } catch (err) {
      await close()
      throw new RuntimeError(firstLine(err.message))
    }
    const tty = process.stdin.isTTY && process.stdout.isTTY
    const rl = readline.createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty })
    let current = null
    const onSigint = () => {
      if (current) current.abort()
      else rl.close()
    }
    rl.on('SIGINT', onSigint)
    process.on('SIGINT', onSigint)
    try {
      if (tty) rl.setPrompt('> ')
      if (tty) rl.prompt()
      for await (const line of rl) {
        const text = line.trim()
        if (text === '/exit' || text === '/quit') break
        if (text === '') {
          if (tty) rl.prompt()
          continue
        }
        current = new AbortController()
        await streamToStdout(session.promptStream(text, { ...options, signal: current.signal }))
        current = null
        process.stdout.write('\n')
        if (tty) rl.prompt()
      }
      return 0
    } finally {
      process.off('SIGINT', onSigint)
      rl.close()
      await close()
    }
  },
}
