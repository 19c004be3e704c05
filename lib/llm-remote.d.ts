// Types for lib/llm-remote.js: llm.connect(), the generate / chat API of ghostkit/llm
// against an OpenAI-compatible server (SSE streaming).

import { EventEmitter } from 'node:events'

/** Sampling and stopping options, mapped onto the OpenAI request fields. */
export interface RemoteGenerateOptions {
  /** max_tokens. */
  maxTokens?: number
  /** 0 = greedy. */
  temperature?: number
  topK?: number
  topP?: number
  minP?: number
  repeatPenalty?: number
  presencePenalty?: number
  frequencyPenalty?: number
  seed?: number
  /** Text that ends the generation (not included in the output). */
  stop?: string | string[]
  /** Stops the generation; it then ends with stopReason 'abort'. */
  signal?: AbortSignal
}

export interface RemoteChunk {
  /** The text of this streamed piece. */
  text: string
}

export type RemoteStopReason = 'stop' | 'maxTokens' | 'abort' | 'contentFilter' | (string & {})

export interface RemoteResult {
  reason: RemoteStopReason
  /** The server's finish_reason ('stop', 'length', …), null when it sent none. */
  finishReason: string | null
  /** The whole generated text. */
  text: string
  /** The server's usage counts when it sent them. */
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null
  /** Client-side timings in milliseconds. */
  timings: { firstTokenMs: number | null; totalMs: number; chunks: number }
}

/**
 * A running generation, shaped like ghostkit/llm's Generation: iterate it for chunks, or
 * listen to 'token' (chunk), 'text' (string), 'end' (RemoteResult) and 'error'. It
 * starts on the next tick.
 */
export declare class RemoteGeneration extends EventEmitter implements AsyncIterable<RemoteChunk> {
  [Symbol.asyncIterator](): AsyncIterator<RemoteChunk>
  /** The whole text once it ends. */
  text(): Promise<string>
  /** Resolves with the end event. */
  readonly done: Promise<RemoteResult>
  abort(): void
  on(event: 'token', listener: (chunk: RemoteChunk) => void): this
  on(event: 'text', listener: (text: string) => void): this
  on(event: 'end', listener: (result: RemoteResult) => void): this
  on(event: 'error', listener: (error: Error) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {})
  content: string
}

export declare class RemoteChatSession {
  /** The conversation so far, oldest first (a copy). */
  readonly history: ChatMessage[]
  /** 'server': the server applies its model's chat template. */
  readonly template: string
  /** Sends the user's turn; resolves with the reply, which joins the history. */
  prompt(text: string, options?: RemoteGenerateOptions): Promise<string>
  /** Like prompt, streaming; the reply joins the history when it ends (not when aborted). */
  promptStream(text: string, options?: RemoteGenerateOptions): RemoteGeneration
}

export declare class RemoteModel {
  readonly model: string
  readonly baseURL: string
  listModels(): Promise<Array<{ id: string; object?: string; [key: string]: unknown }>>
  /** POST /v1/completions, streamed. */
  generate(prompt: string, options?: RemoteGenerateOptions): RemoteGeneration
  /** POST /v1/chat/completions, streamed; the server applies the chat template. */
  chat(messages: ChatMessage[], options?: RemoteGenerateOptions): RemoteGeneration
  createChatSession(options?: { systemPrompt?: string }): RemoteChatSession
  /** Aborts running generations; later calls throw ERR_GHOSTKIT_LLM_CLOSED. */
  close(): void
}

export interface ConnectOptions {
  /** The API root, e.g. 'http://127.0.0.1:8080/v1'. */
  baseURL: string | URL
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string
  /** The model name sent with each request (default 'default'). */
  model?: string
  /** A fetch implementation (default: globalThis.fetch). */
  fetch?: typeof fetch
}

/**
 * Errors: `code` is one of ERR_GHOSTKIT_LLM_REMOTE_UNREACHABLE, ERR_GHOSTKIT_LLM_REMOTE_HTTP
 * (with `status`), ERR_GHOSTKIT_LLM_REMOTE_PROTOCOL, ERR_GHOSTKIT_LLM_REMOTE_STREAM,
 * ERR_GHOSTKIT_LLM_CLOSED, ERR_GHOSTKIT_LLM_BUSY.
 */
export declare class LlmRemoteError extends Error {
  readonly code: string
  readonly status?: number
}

export declare function connect(options: ConnectOptions): RemoteModel
