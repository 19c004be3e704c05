export * as crypto from './lib/crypto'
export * as quic from './lib/quic'
