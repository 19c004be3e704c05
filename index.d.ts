export * as crypto from './lib/crypto'
export * as quic from './lib/quic'
export * as llm from './lib/llm'
export * as db from './lib/db'
