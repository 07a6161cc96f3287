/** The docs test's reading of a page: which lines run, what answers they promise, and the match. */
import { describe, expect, it } from 'vitest'
import { examplesOf, expectAnswer, filesOf, unrunnable } from './doc-examples'

const PAGE = [
  'Text.',
  '```bash',
  'curl -X POST http://localhost:8000/api/jobs \\',
  '  -d \'{"job_type": "js", "code": "1"}\'   # a comment that is not an answer',
  '# → {"id": "…", "status": "pending", "quorum": {"needed": 2, "answers": …}, "tags": ["…"]}',
  'curl http://localhost:8000/api/jobs/nope',
  '# ✗ 404 {"code": "JOB_NOT_FOUND"}',
  "cat > /tmp/x.sh <<'EOF'",
  'echo hi',
  'EOF',
  '```',
  '```sh',
  'curl http://host:8000/api/tokens   # not run: a sh block',
  '```',
].join('\n')

describe('doc examples', () => {
  it('reads curl lines across continuations, with their answers and shown errors', () => {
    expect(examplesOf(PAGE)).toEqual([
      {
        command: `curl -X POST http://localhost:8000/api/jobs  -d '{"job_type": "js", "code": "1"}'`,
        expect:
          '{"id": "…", "status": "pending", "quorum": {"needed": 2, "answers": …}, "tags": ["…"]}',
      },
      {
        command: 'curl http://localhost:8000/api/jobs/nope',
        expect: '{"code": "JOB_NOT_FOUND"}',
        errorStatus: 404,
      },
    ])
  })

  it('runs only bash blocks, and names curl lines that target another server', () => {
    expect(unrunnable(PAGE)).toEqual([])
    expect(unrunnable('```bash\ncurl http://host:8000/health\n```\n')).toEqual([
      'curl http://host:8000/health',
    ])
  })

  it('reads the files a page writes', () => {
    expect(filesOf(PAGE)).toEqual(new Map([['/tmp/x.sh', 'echo hi\n']]))
  })

  it('matches the fields shown, nested, with placeholders', () => {
    const shown =
      '{"id": "…", "status": "pending", "quorum": {"needed": 2, "answers": …}, "tags": ["…"]}'
    expectAnswer(
      shown,
      '{"id": "a", "status": "pending", "quorum": {"needed": 2, "answers": 0}, "tags": [], "x": 1}',
    )
    expect(() =>
      expectAnswer(
        shown,
        '{"id": "a", "status": "pending", "quorum": {"needed": 3, "answers": 0}}',
      ),
    ).toThrow()
    expect(() => expectAnswer(shown, '{"id": 7, "status": "pending"}')).toThrow()
    expect(() => expectAnswer('{"a": 1, …}', '{"b": 1}')).toThrow()
    expectAnswer('{"a": 1, …}', '{"a": 1, "b": 2}')
    expectAnswer('{"token": "eyJ…"}', '{"token": "eyJhbGciOi"}')
    expect(() => expectAnswer('{"token": "eyJ…"}', '{"token": "zv_x"}')).toThrow()
  })

  it('matches text answers exactly, but for the final newline', () => {
    expectAnswer('Hello, World!', 'Hello, World!\n')
    expect(() => expectAnswer('Hello, World!', 'Hello, world!')).toThrow()
  })
})
