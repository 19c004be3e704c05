'use strict'
// The pinned Zig toolchain: `ziglang==0.17.1` from PyPI, installed into the
// git-ignored `.zig/` folder of the package. Zig's std changes between versions,
// so the version is exact, never a range.
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ZIG_VERSION = '0.17.1'
const root = path.join(__dirname, '..')
const zigDir = path.join(root, '.zig')
const zigBin = path.join(zigDir, 'ziglang', process.platform === 'win32' ? 'zig.exe' : 'zig')

function installedVersion() {
  try {
    return execFileSync(zigBin, ['version'], { encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}

function findPython() {
  for (const candidate of ['python3', 'python']) {
    try {
      execFileSync(candidate, ['-m', 'pip', '--version'], { stdio: 'ignore' })
      return candidate
    } catch {}
  }
  throw new Error(
    'ghostkit: building needs Python 3 with pip (to install the pinned Zig ' +
      `ziglang==${ZIG_VERSION} from PyPI); neither python3 nor python with pip was found`,
  )
}

/** Returns the path of the pinned Zig compiler, installing it first when needed. */
function ensureZig({ log = console.error } = {}) {
  if (installedVersion() === ZIG_VERSION) return zigBin
  fs.rmSync(zigDir, { recursive: true, force: true })
  const python = findPython()
  log(`ghostkit: installing ziglang==${ZIG_VERSION} from PyPI into .zig/`)
  execFileSync(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-deps', '--quiet',
      '--target', zigDir, `ziglang==${ZIG_VERSION}`],
    { stdio: 'inherit' },
  )
  const version = installedVersion()
  if (version !== ZIG_VERSION) {
    throw new Error(`ghostkit: expected Zig ${ZIG_VERSION} in .zig/, found ${version ?? 'nothing'}`)
  }
  return zigBin
}

module.exports = { ZIG_VERSION, ensureZig, root, zigBin }
