#!/usr/bin/env node
'use strict'
// `npm install` / `npm run build`: installs the pinned Zig, then builds the addon
// (Cargo runs crates/ghostkit/build.rs, which compiles the Zig libraries) in release
// mode with @napi-rs/cli, producing ghostkit.<platform>.node, binding.js and binding.d.ts.
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { ensureZig, root } = require('./toolchain.js')

function main() {
  const debug = process.argv.includes('--debug')
  const started = Date.now()
  const zig = ensureZig()
  const napi = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
  const args = [napi, 'build', '--platform', '--js', 'binding.js', '--dts', 'binding.d.ts']
  if (!debug) args.push('--release')
  const result = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ZIG: zig },
  })
  if (result.error) throw result.error
  if (result.status !== 0) {
    console.error(`ghostkit: the native build failed (exit ${result.status})`)
    process.exit(result.status ?? 1)
  }
  console.error(`ghostkit: built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

main()
