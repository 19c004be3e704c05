'use strict'
// aioquic (an independent QUIC stack in Python) as an interop peer.
//
// Installs aioquic and dnslib with `pip install --target` into the peers cache (see
// cache.js), plus the `examples/` folder of the aioquic sdist (the wheel has none:
// doq_client.py, http3_server.py, … for the DoQ and HTTP/3 work). Nothing goes into the
// system's or the user's site-packages.
//
//   const { aioquic } = require('./scripts/peers/aioquic.js')
//   const { python, env, examplesDir } = aioquic()
//   spawn(python, ['__test__/quic/peers/aioquic_peer.py', ...], { env })
//
// The Python interpreter is $GHOSTKIT_PYTHON, else `python3` on PATH (3.8 or newer).
// A peer that cannot be installed throws: the tests that need it fail loudly.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { ensurePeer } = require('./cache.js')

const AIOQUIC_VERSION = '1.7.2'
const DNSLIB_VERSION = '0.9.26'

function pythonCommand() {
  return process.env.GHOSTKIT_PYTHON || 'python3'
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options })
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`)
  }
  return result.stdout
}

/** The interpreter's absolute path and `major.minor`, so the cache key follows the ABI. */
function probePython() {
  const out = run(pythonCommand(), ['-c', 'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])'])
  const [executable, version] = out.trim().split('\n')
  return { executable, version }
}

function install(dir, python) {
  const site = path.join(dir, 'site')
  const pipEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONNOUSERSITE: '1' }
  run(python, ['-m', 'pip', 'install', '--no-input', '--target', site,
    `aioquic==${AIOQUIC_VERSION}`, `dnslib==${DNSLIB_VERSION}`], { env: pipEnv })

  // The sdist, only for its examples/ folder.
  const sdist = path.join(dir, 'sdist')
  run(python, ['-m', 'pip', 'download', '--no-input', '--no-deps', '--no-binary', ':all:',
    `aioquic==${AIOQUIC_VERSION}`, '-d', sdist], { env: pipEnv })
  const archive = fs.readdirSync(sdist).find((name) => name.endsWith('.tar.gz'))
  if (!archive) throw new Error(`pip download left no .tar.gz in ${sdist}`)
  run('tar', ['-xzf', path.join(sdist, archive), '-C', sdist])
  const unpacked = path.join(sdist, archive.replace(/\.tar\.gz$/, ''))
  const examples = path.join(unpacked, 'examples')
  if (!fs.existsSync(path.join(examples, 'doq_client.py'))) throw new Error(`no examples/doq_client.py in ${archive}`)
  fs.renameSync(examples, path.join(dir, 'examples'))
  fs.rmSync(sdist, { recursive: true, force: true })

  // Prove the install imports before it is marked complete.
  run(python, ['-c', 'import aioquic, dnslib; assert aioquic.__version__ == "' + AIOQUIC_VERSION + '", aioquic.__version__'],
    { env: { ...process.env, PYTHONPATH: site, PYTHONNOUSERSITE: '1' } })
}

/**
 * Installs aioquic (once per interpreter version) and returns how to run it:
 * `python` (absolute path), `env` (process.env plus PYTHONPATH pointing at the install;
 * pass it to spawn), `examplesDir` (the sdist's examples/), `version`.
 */
function aioquic() {
  const { executable, version } = probePython()
  const dir = ensurePeer(`aioquic-py${version}`, `${AIOQUIC_VERSION}-dnslib${DNSLIB_VERSION}`, (tmp) => install(tmp, executable))
  const site = path.join(dir, 'site')
  const env = {
    ...process.env,
    PYTHONPATH: process.env.PYTHONPATH ? `${site}${path.delimiter}${process.env.PYTHONPATH}` : site,
    PYTHONNOUSERSITE: '1',
    PYTHONUNBUFFERED: '1',
  }
  return { python: executable, env, examplesDir: path.join(dir, 'examples'), version: AIOQUIC_VERSION }
}

module.exports = { aioquic, AIOQUIC_VERSION }

if (require.main === module) {
  const peer = aioquic()
  console.log(JSON.stringify({ python: peer.python, PYTHONPATH: peer.env.PYTHONPATH, examplesDir: peer.examplesDir }))
}
