#!/usr/bin/env node
'use strict'
// The ghostkit command line. Each command is a module in bin/commands/<name>.js exporting
// { summary, usage, options (node:util parseArgs options), run({ values, positionals }) },
// where run returns (or resolves to) the exit code. Commands load native modules lazily,
// so `ghostkit --help` works without the addon.

const fs = require('node:fs')
const path = require('node:path')
const { parseArgs } = require('node:util')
const { UsageError, EXIT_RUNTIME, EXIT_USAGE, firstLine } = require('./lib/cli.js')

const COMMANDS_DIR = path.join(__dirname, 'commands')

function commandNames() {
  return fs
    .readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort()
}

function loadCommand(name) {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return undefined
  return require(path.join(COMMANDS_DIR, `${name}.js`))
}

function version() {
  return require('../package.json').version
}

function mainHelp() {
  const names = commandNames()
  const width = Math.max(...names.map((n) => n.length))
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${loadCommand(n).summary}`)
  return `Usage: ghostkit <command> [options]

Commands:
${lines.join('\n')}

Options:
  -h, --help     show this help ('ghostkit <command> --help' for a command's)
  -v, --version  print the version

ghostkit ${version()}`
}

// parseArgs' messages name the problem well; keep their first sentence-line only.
function parseCommandArgs(command, args) {
  try {
    return parseArgs({
      args,
      options: { ...command.options, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(firstLine(err.message).replace(/\. To specify a positional.*$/, ''))
    }
    throw err
  }
}

async function main(argv) {
  const [first, ...rest] = argv
  if (first === undefined) throw new UsageError("no command (try 'ghostkit --help')")
  if (first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined
    if (topic === undefined) {
      process.stdout.write(mainHelp() + '\n')
      return 0
    }
    const command = loadCommand(topic)
    if (!command) throw new UsageError(`unknown command '${topic}'`)
    process.stdout.write(command.usage + '\n')
    return 0
  }
  if (first === '-v' || first === '--version') {
    process.stdout.write(version() + '\n')
    return 0
  }
  const command = loadCommand(first)
  if (!command) {
    if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (try 'ghostkit --help')`)
    throw new UsageError(`unknown command '${first}' (try 'ghostkit --help')`)
  }
  const { values, positionals } = parseCommandArgs(command, rest)
  if (values.help) {
    process.stdout.write(command.usage + '\n')
    return 0
  }
  delete values.help
  return command.run({ values, positionals })
}

// A closed pipe (`ghostkit hash big | head -c1`) is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

function fail(err, commandName) {
  const prefix = commandName && loadCommand(commandName) ? `ghostkit: ${commandName}: ` : 'ghostkit: '
  process.stderr.write(prefix + firstLine(err?.message ?? err) + '\n')
  if (err instanceof UsageError) return EXIT_USAGE
  if (process.env.GHOSTKIT_DEBUG) process.stderr.write(String(err?.stack) + '\n')
  return EXIT_RUNTIME
}

const argv = process.argv.slice(2)
main(argv).then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    process.exitCode = fail(err, argv[0])
  },
)
