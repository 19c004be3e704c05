export * as crypto from './lib/crypto'
export * as db from './lib/db'
