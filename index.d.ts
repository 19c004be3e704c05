export * as crypto from './lib/crypto'
