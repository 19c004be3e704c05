'use strict'
// ghostkit: each module loads on first use, so `require('ghostkit')` stays cheap.
Object.defineProperty(exports, 'crypto', {
  enumerable: true,
  get: () => require('./lib/crypto.js'),
})
Object.defineProperty(exports, 'quic', {
  enumerable: true,
  get: () => require('./lib/quic.js'),
})
Object.defineProperty(exports, 'llm', {
  enumerable: true,
  get: () => require('./lib/llm.js'),
})
Object.defineProperty(exports, 'db', {
  enumerable: true,
  get: () => require('./lib/db.js'),
})
