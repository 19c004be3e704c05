// GhostLLM: load a GGUF model, stream a completion, read logits, chat.
//   node --experimental-strip-types examples/llm.ts model.gguf
import { llm } from 'ghostkit'

async function main(path: string): Promise<void> {
  const controller = new AbortController()
  const model: llm.Model = await llm.loadModel(path, {
    threads: 2,
    contextSize: 512,
    onProgress: (p: number) => process.stderr.write(`\rloading ${(p * 100).toFixed(0)}%`),
    signal: controller.signal,
  })
  process.stderr.write(`\n${model.metadata.architecture} · ${model.metadata.vocabSize} tokens · ${model.cpuLevel}\n`)

  const ids: number[] = model.tokenize('Once upon a time')
  console.log('prompt ids', ids, '→', JSON.stringify(model.detokenize(ids)))

  const generation: llm.Generation = model.generate('Once upon a time', { maxTokens: 32, temperature: 0, stop: ['\n\n'] })
  generation.on('end', (end: llm.GenerationEnd) => {
    console.log(`\n[${end.reason}] ${end.timings.decodeTokensPerSecond.toFixed(1)} tokens/s`)
  })
  for await (const chunk of generation) process.stdout.write(chunk.text)

  const logits: Float32Array = await model.logits(ids)
  console.log('logits', logits.length)

  const text: string = await model.generate('Lily', { maxTokens: 8, seed: 42, temperature: 0.7, topK: 40 }).text()
  console.log(text)

  if (model.metadata.chatTemplateName !== null) {
    const session: llm.ChatSession = model.createChatSession({ systemPrompt: 'Answer briefly.' })
    console.log(await session.prompt('What is the capital of France?', { maxTokens: 16 }))
  }
  await model.dispose()
}

main(process.argv[2] ?? 'model.gguf').catch((error: llm.LlmError) => {
  console.error(error.code, error.message)
  process.exitCode = 1
})
