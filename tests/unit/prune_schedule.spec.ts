import { test } from '@japa/runner'
import { pruneDownloadsWhenDue } from '#services/downloads/prune_schedule'

test.group('Download pruning schedule', () => {
  test('runs at most once an hour', async ({ assert }) => {
    // Times in the past, so this run on the real downloads folder removes no more than a run now.
    const start = Date.now() - 3 * 60 * 60 * 1000

    const first = await pruneDownloadsWhenDue(new Date(start))
    const halfHourLater = await pruneDownloadsWhenDue(new Date(start + 30 * 60 * 1000))
    const hourLater = await pruneDownloadsWhenDue(new Date(start + 60 * 60 * 1000))

    assert.isNotNull(first)
    assert.isNull(halfHourLater)
    assert.isNotNull(hourLater)
  })
})
