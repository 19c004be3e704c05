// ghostkit/db: an encrypted wallet database with the sync and the async API.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database, SqliteError, ZqliteError, open, versions, type RunResult } from 'ghostkit/db'

interface Tx {
  id: number
  to_address: string
  amount: bigint
  memo: Buffer | null
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ghostkit-db-example-'))
  const path = join(dir, 'wallet.db')
  console.log(versions())

  using wallet = open(path, { key: 'correct horse battery staple' })
  wallet.exec('CREATE TABLE txs (id INTEGER PRIMARY KEY, to_address TEXT NOT NULL, amount INTEGER, memo BLOB)')
  const insert = wallet.prepare('INSERT INTO txs (to_address, amount, memo) VALUES (@to, @amount, @memo)')
  const addAll = wallet.transaction((rows: Array<{ to: string; amount: bigint; memo: Buffer | null }>) => {
    let last: RunResult | undefined
    for (const row of rows) last = insert.run(row)
    return last
  })
  addAll.immediate([
    { to: '0xabc', amount: 10n ** 18n, memo: Buffer.from('rent') },
    { to: '0xdef', amount: 5n, memo: null },
  ])

  const byAddress = wallet.prepare<Tx>('SELECT * FROM txs WHERE to_address = ?').safeIntegers()
  const tx: Tx | undefined = byAddress.get('0xabc')
  console.log(tx?.amount)
  const count = wallet.prepare<number>('SELECT count(*) FROM txs').pluck().get()
  console.log(count, wallet.pragma('journal_mode', { simple: true }))

  const controller = new AbortController()
  const rows = await wallet.async.all<Tx>('SELECT * FROM txs ORDER BY id', [], { signal: controller.signal })
  console.log(rows.length)

  try {
    new Database(path, { key: 'wrong' })
  } catch (error) {
    if (error instanceof ZqliteError) console.log(error.code) // ERR_ZQLITE_BAD_KEY
  }
  try {
    wallet.prepare('INSERT INTO txs (id, to_address) VALUES (1, ?)').run('0x0')
  } catch (error) {
    if (error instanceof SqliteError) console.log(error.code) // SQLITE_CONSTRAINT_PRIMARYKEY
  }
  await wallet.backup(join(dir, 'backup.db'), { progress: ({ remainingPages }) => (remainingPages > 100 ? 100 : 0) })
  wallet.close()
  rmSync(dir, { recursive: true, force: true })
}

void main()
