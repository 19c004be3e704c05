// Stream a completion and keep a chat going against any OpenAI-compatible server
// (llama.cpp's server, llama-cpp-python, `ghostkit llm serve`, ...) with llm.connect().
// Run: ghostkit llm serve --model model.gguf --port 8080 & node --experimental-strip-types examples/llm-remote.ts
import { connect, LlmRemoteError, type RemoteResult } from '../lib/llm-remote.js'

async function main(): Promise<void> {
  const remote = connect({ baseURL: process.env.LLM_URL ?? 'http://127.0.0.1:8080/v1', apiKey: process.env.LLM_API_KEY })
  try {
    console.log('models:', (await remote.listModels()).map((m) => m.id).join(', '))

    // Iterate the chunks as they stream in...
    const gen = remote.generate('Once upon a time', { maxTokens: 32, temperature: 0 })
    for await (const chunk of gen) process.stdout.write(chunk.text)
    const result: RemoteResult = await gen.done
    console.log(`\n[${result.reason}, ${result.timings.totalMs.toFixed(0)} ms]`)

    // ...or listen to events, and stop early with an AbortSignal.
    const ac = new AbortController()
    const events = remote.generate('The sea was', { maxTokens: 200, signal: ac.signal })
    let pieces = 0
    events.on('text', (text: string) => {
      process.stdout.write(text)
      if (++pieces === 10) ac.abort()
    })
    events.on('end', (r: RemoteResult) => console.log(`\n[${r.reason}]`))
    await events.done

    // A chat session keeps the history; the server applies the model's chat template.
    const session = remote.createChatSession({ systemPrompt: 'Answer in one sentence.' })
    console.log(await session.prompt('What is a lighthouse?', { maxTokens: 48 }))
    for await (const chunk of session.promptStream('And who keeps it?', { maxTokens: 48 })) process.stdout.write(chunk.text)
    console.log(session.history.length, 'messages')
  } catch (error) {
    if (error instanceof LlmRemoteError) console.error(`${error.code}${error.status ? ` (${error.status})` : ''}: ${error.message}`)
    else throw error
  } finally {
    remote.close()
  }
}

main()
