/**
 * GhostLLM: a local GGUF inference engine written in Zig (architectures `llama` and
 * `gemma3`; tensor types F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K).
 *
 * ```ts
 * import { llm } from 'ghostkit'
 * const model = await llm.loadModel('model.gguf', { threads: 2 })
 * for await (const chunk of model.generate('Once upon a time', { maxTokens: 32 })) process.stdout.write(chunk.text)
 * await model.dispose()
 * ```
 *
 * Errors are {@link LlmError}s (or TypeError/RangeError for bad arguments), each with a
 * stable `code`:
 * - `ERR_GHOSTKIT_LLM_INVALID_MODEL`: a corrupt or truncated GGUF file (the message says what and where)
 * - `ERR_GHOSTKIT_LLM_UNSUPPORTED`: an architecture, tensor type or tokenizer the engine does not run
 * - `ERR_GHOSTKIT_LLM_IO`: the file cannot be opened or mapped
 * - `ERR_GHOSTKIT_LLM_CONTEXT_FULL`: the prompt does not fit the context (`contextSize`)
 * - `ERR_GHOSTKIT_LLM_DISPOSED`: the model was disposed
 * - `ERR_GHOSTKIT_LLM_ABORTED`: loading was aborted by its signal (`error.name === 'AbortError'`)
 * - `ERR_GHOSTKIT_LLM_NO_MEMORY`: out of memory
 * - `ERR_GHOSTKIT_LLM_BAD_TEMPLATE`: no chat template known for this model (pass `template`)
 * - `ERR_GHOSTKIT_INVALID_ARG_TYPE` / `ERR_GHOSTKIT_INVALID_ARG_VALUE`: bad arguments
 */
import { EventEmitter } from 'node:events'

export declare class LlmError extends Error {
  readonly code: string
}

export interface LoadOptions {
  /** Threads for the forward pass (the calling thread counts as one). Default: min(4, CPUs). */
  threads?: number
  /** Default context size (tokens) of each generation. Default: min(2048, the model's training context). */
  contextSize?: number
  /** Tokens per forward batch while reading a prompt. Default 64. */
  batchSize?: number
  /** Called with a fraction in [0, 1] while the model loads (0 and 1 always). */
  onProgress?: (progress: number) => void
  /** Aborts loading: the promise rejects with an AbortError (`code` ERR_GHOSTKIT_LLM_ABORTED). */
  signal?: AbortSignal
}

/** What the GGUF file says about the model. */
export interface ModelMetadata {
  /** `general.architecture`: `'llama'` or `'gemma3'`. */
  architecture: string
  /** `general.name`, or null. */
  name: string | null
  vocabSize: number
  /** The context length the model was trained with. */
  trainContextLength: number
  embeddingLength: number
  layerCount: number
  headCount: number
  headCountKv: number
  feedForwardLength: number
  /** `tokenizer.chat_template` (Jinja text), or null. */
  chatTemplate: string | null
  /** The chat template family used by chat sessions: 'gemma', 'llama2', 'llama3', 'chatml'…, or null. */
  chatTemplateName: string | null
  bosTokenId: number | null
  eosTokenId: number | null
  /** Bytes of the file. */
  fileSize: number
  /** Bytes of weights read per decoded token (decode speed ≈ memory bandwidth ÷ this). */
  weightBytes: number
  /** Every scalar or string metadata entry of the file, by key (arrays are left out). */
  raw: Record<string, string | number | boolean>
}

export interface TokenizeOptions {
  /** Add BOS/EOS as the model's tokenizer says. Default true. */
  addSpecial?: boolean
  /** Parse special-token text such as `<start_of_turn>` into its id. Default false. */
  parseSpecial?: boolean
}

export interface DetokenizeOptions {
  /** Render control tokens as their text. Default false. */
  special?: boolean
}

export interface GenerateOptions {
  /** Stop after this many generated tokens. Default 256. */
  maxTokens?: number
  /** 0 = greedy. Default 0.8. */
  temperature?: number
  /** 0 = off. Default 40. */
  topK?: number
  /** 1 = off. Default 0.95. */
  topP?: number
  /** 0 = off. Default 0.05. */
  minP?: number
  /** 1 = off. Default 1. */
  repeatPenalty?: number
  /** Tokens the penalties look back over. Default 64. */
  repeatLastN?: number
  presencePenalty?: number
  frequencyPenalty?: number
  /** Same seed and options → same output. Default: random. */
  seed?: number
  /** Generation ends when the text contains one of these (the stop text is not emitted). */
  stop?: string[]
  /** Stops generation within one token; the generation ends with reason `'abort'`. */
  signal?: AbortSignal
  /** Context size of this generation's KV cache. Default: the model's `contextSize`. */
  contextSize?: number
  /** For a string prompt: add BOS as the tokenizer says. Default true. */
  addSpecial?: boolean
  /** For a string prompt: parse special-token text. Default true. */
  parseSpecial?: boolean
}

/** One generated token. `text` may be empty while a UTF-8 character is incomplete. */
export interface TokenChunk {
  id: number
  text: string
}

/**
 * Why a generation ended: end-of-generation token, `maxTokens` reached, a stop
 * sequence matched, aborted, or the context (KV cache) is full.
 */
export type StopReason = 'eos' | 'maxTokens' | 'stop' | 'abort' | 'contextFull'

export interface GenerationTimings {
  promptTokens: number
  generatedTokens: number
  promptMs: number
  decodeMs: number
  promptTokensPerSecond: number
  decodeTokensPerSecond: number
}

export interface GenerationEnd {
  reason: StopReason
  /** The whole generated text (without a matched stop sequence). */
  text: string
  timings: GenerationTimings
}

/**
 * A running generation: an async iterator of {@link TokenChunk}s and an EventEmitter:
 * `'token'` (chunk), `'text'` (string, only non-empty), `'end'` ({@link GenerationEnd}),
 * `'error'` (Error). The native side computes at most 32 tokens ahead of JS and hands
 * over everything it has in one event-loop turn (in order); an async-iterator consumer
 * that falls 64 chunks behind pauses it. A slow consumer slows the generation down
 * instead of growing memory.
 */
export declare class Generation extends EventEmitter implements AsyncIterable<TokenChunk> {
  /** Resolves with the whole text when the generation ends; rejects on error. */
  text(): Promise<string>
  /** Resolves with the end event. */
  readonly done: Promise<GenerationEnd>
  /**
   * Stops the generation (same as aborting its signal): no `'token'` is emitted and no
   * chunk is iterated after this call, even ones already computed; `'end'` follows with
   * reason `'abort'`. The native side stops before its next token.
   */
  abort(): void
  [Symbol.asyncIterator](): AsyncIterator<TokenChunk>
  on(event: 'token', listener: (chunk: TokenChunk) => void): this
  on(event: 'text', listener: (text: string) => void): this
  on(event: 'end', listener: (end: GenerationEnd) => void): this
  on(event: 'error', listener: (error: Error) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface ChatSessionOptions {
  systemPrompt?: string
  /** 'gemma', 'llama2', 'llama3', 'chatml'… Default: detected from the model's `tokenizer.chat_template`. */
  template?: string
}

/** A conversation kept through the model's chat template. */
export declare class ChatSession {
  /** The messages so far (system prompt first, if any). */
  readonly history: readonly ChatMessage[]
  /** The template family in use. */
  readonly template: string
  /** Sends a user message; resolves with the reply (also appended to `history`). */
  prompt(text: string, options?: GenerateOptions): Promise<string>
  /** Like `prompt`, but streaming; the reply joins `history` when the generation ends. */
  promptStream(text: string, options?: GenerateOptions): Generation
  /** Renders the conversation (plus an open assistant turn) as the model's prompt text. */
  render(): string
}

export declare class Model {
  readonly path: string
  readonly metadata: ModelMetadata
  /** Default context size of generations. */
  readonly contextSize: number
  readonly threads: number
  /** The CPU level the kernels were built for ('baseline', 'x86_64_v3', 'x86_64_v4'). */
  readonly cpuLevel: string
  readonly disposed: boolean
  tokenize(text: string, options?: TokenizeOptions): number[]
  detokenize(ids: ArrayLike<number>, options?: DetokenizeOptions): string
  /**
   * Generates from a prompt (text, or token ids used as they are). Each generation has
   * its own KV cache; several may run at once (their forward passes take turns).
   */
  generate(prompt: string | ArrayLike<number>, options?: GenerateOptions): Generation
  /** Logits of the next token after `prompt` (ids), for checks against other engines. */
  logits(prompt: ArrayLike<number>, options?: { contextSize?: number }): Promise<Float32Array>
  createChatSession(options?: ChatSessionOptions): ChatSession
  /** Stops running generations (reason 'abort'), then frees the weights and threads. */
  dispose(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export declare function loadModel(path: string, options?: LoadOptions): Promise<Model>

/** `llm.connect({ baseURL, apiKey, model })`: the generate / chat API against an OpenAI-compatible server (SSE). */
export { connect, LlmRemoteError } from './llm-remote'
export type { ConnectOptions, RemoteModel, RemoteGeneration, RemoteChatSession } from './llm-remote'
