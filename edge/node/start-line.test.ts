import { describe, expect, it } from 'vitest'
import { startLine } from './start-line'

describe('startLine', () => {
  it('names the console, the volunteer page and the docs, with the URL where scripts look for it', () => {
    const line = startLine('http://127.0.0.1:8000', 1, '/srv/zv')
    expect(line).toBe(
      'zerverless listening on http://127.0.0.1:8000 · console http://127.0.0.1:8000/console/ · ' +
        'volunteer page http://127.0.0.1:8000/volunteer/ · API docs http://127.0.0.1:8000/docs ' +
        '(1 internal worker, data in /srv/zv)',
    )
    expect(/listening on (http:\/\/\S+)/.exec(line)?.[1]).toBe('http://127.0.0.1:8000')
    expect(startLine('http://h:1', 0, '/d')).toContain('(0 internal workers, data in /d)')
  })
})
