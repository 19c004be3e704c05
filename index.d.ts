export * as crypto from './lib/crypto'
export * as llm from './lib/llm'
