'use strict'
const { UsageError } = require('../lib/cli.js')
const { SAMPLING_OPTIONS, MODEL_OPTIONS, SAMPLING_HELP, MODEL_HELP, samplingOptions, openModel, streamToStdout, describeStop } = require('../lib/llm.js')

async function readStdin() {
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}

module.exports = {
  summary: 'complete a prompt with a local GGUF model (or an OpenAI-compatible server)',
  usage: `Usage: ghostkit generate (--model FILE | --url URL) [options] <prompt|->

Streams the continuation of PROMPT (or of standard input for '-') to standard output.
Ctrl-C stops the generation; what was generated stays printed.

Options:
${MODEL_HELP}
${SAMPLING_HELP}
  -q, --quiet               no summary line on stderr
  -h, --help                show this help`,
  options: { ...MODEL_OPTIONS, ...SAMPLING_OPTIONS, quiet: { type: 'boolean', short: 'q', default: false } },

  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('generate takes one prompt (or - for standard input)')
    const options = samplingOptions(values)
    const prompt = positionals[0] === '-' ? await readStdin() : positionals[0]
    const ac = new AbortController()
    const onSigint = () => ac.abort()
    process.once('SIGINT', onSigint)
    const { model, close } = await openModel(values, { signal: ac.signal })
    try {
      const result = await streamToStdout(model.generate(prompt, { ...options, signal: ac.signal }))
      if (!process.stdout.isTTY || !result.text.endsWith('\n')) process.stdout.write('\n')
      if (!values.quiet) process.stderr.write(`[${describeStop(result)}]\n`)
      return 0
    } finally {
      process.off('SIGINT', onSigint)
      await close()
    }
  },
}
