import { test } from '@japa/runner'
import pg from 'pg'
import { serviceEnv } from './service_env.js'

const variables = ['PG_HOST', 'PG_PORT', 'PG_USER', 'PG_PASSWORD', 'PG_DB_NAME'] as const

test.group('postgres service', () => {
  test('query with password login', async ({ assert, cleanup }) => {
    const env = serviceEnv('postgres', variables)
    const client = new pg.Client({
      host: env.PG_HOST,
      port: Number(env.PG_PORT),
      user: env.PG_USER,
      password: env.PG_PASSWORD,
      database: env.PG_DB_NAME,
    })
    await client.connect()
    cleanup(() => client.end())

    const result = await client.query<{ user: string; database: string; sum: number }>(
      'SELECT current_user AS user, current_database() AS database, $1::int + $2::int AS sum',
      [20, 22]
    )
    assert.equal(result.rows[0].user, env.PG_USER)
    assert.equal(result.rows[0].database, env.PG_DB_NAME)
    assert.equal(result.rows[0].sum, 42)

    // The user owns the database, so it can create tables, as migrations do.
    await client.query('CREATE TEMPORARY TABLE smoke (id serial PRIMARY KEY, name text)')
    await client.query('INSERT INTO smoke (name) VALUES ($1)', ['coffer'])
    const rows = await client.query('SELECT name FROM smoke')
    assert.deepEqual(rows.rows, [{ name: 'coffer' }])
  }).timeout(30_000)

  test('wrong password rejected', async ({ assert }) => {
    const env = serviceEnv('postgres', variables)
    const client = new pg.Client({
      host: env.PG_HOST,
      port: Number(env.PG_PORT),
      user: env.PG_USER,
      password: `${env.PG_PASSWORD}-wrong`,
      database: env.PG_DB_NAME,
    })

    await assert.rejects(() => client.connect(), /password authentication failed/)
    await client.end().catch(() => {})
  }).timeout(30_000)
})
