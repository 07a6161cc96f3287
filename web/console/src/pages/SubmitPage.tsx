/**
 * Submit a job (runtime, code or a wasm module, input) or, with one input per line, a batch of
 * them; the console then shows the job or the batch's progress. A wasm module is uploaded once
 * (POST /api/wasm) and named by its content id, so a batch sends it once.
 */
import { useState } from 'preact/hooks'
import { api } from '../api'
import { navigate } from '../router'
import { rememberBatch } from '../session'
import { ErrorNote, parseJsonInput, Section } from '../ui'

const RUNTIMES = ['js', 'lua', 'python', 'wasm']
const EXAMPLES: Record<string, string> = {
  js: 'console.log("hello from js")\nINPUT.n * 2',
  lua: 'print("hello from lua")\nreturn INPUT.n * 2',
  python: 'print("hello from python")\nINPUT["n"] * 2',
}

export function SubmitPage({ namespace }: { namespace: string }) {
  const [runtime, setRuntime] = useState('js')
  const [code, setCode] = useState(EXAMPLES.js!)
  const [input, setInput] = useState('{"n": 21}')
  const [module, setModule] = useState<File>()
  const [args, setArgs] = useState('')
  const [batch, setBatch] = useState(false)
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    setError(undefined)
    if (runtime === 'wasm' && !module) return setError('Choose a .wasm module to run')
    try {
      setBusy(true)
      const source =
        runtime === 'wasm' && module
          ? {
              job_type: 'wasm' as const,
              wasm_cid: (await api.uploadWasm(module)).cid,
              args: args.split(/\s+/).filter(Boolean),
            }
          : { job_type: runtime, code }
      if (batch) {
        const inputs = []
        for (const [i, line] of input.split('\n').entries()) {
          if (line.trim() === '') continue
          const parsed = parseJsonInput(line, `line ${i + 1}`)
          if (parsed.error) return setError(parsed.error)
          inputs.push(parsed.value)
        }
        const submitted = await api.submitBatch({ ...source, namespace, inputs })
        rememberBatch(submitted.batch_id)
        navigate(`/batches/${submitted.batch_id}`)
      } else {
        const parsed = parseJsonInput(input, 'Input')
        if (parsed.error) return setError(parsed.error)
        const job = await api.submitJob({
          ...source,
          namespace,
          ...(parsed.value !== undefined && { input_data: parsed.value }),
        })
        navigate(`/jobs/${job.id}`)
      }
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Section title={`Submit to ${namespace}`}>
      <form class="stack" onSubmit={submit}>
        <label for="runtime">Runtime</label>
        <select
          id="runtime"
          value={runtime}
          onChange={(e) => {
            const next = e.currentTarget.value
            // An untouched example follows the runtime; the user's own code stays.
            const example = EXAMPLES[next]
            if (example && Object.values(EXAMPLES).includes(code)) setCode(example)
            setRuntime(next)
          }}
        >
          {RUNTIMES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        {runtime === 'wasm' ? (
          <>
            <label for="module">Module (a WASI command, .wasm)</label>
            <input
              id="module"
              type="file"
              accept=".wasm,application/wasm"
              onChange={(e) => setModule(e.currentTarget.files?.[0])}
            />
            <label for="args">Arguments (separated by spaces)</label>
            <input
              id="args"
              class="mono"
              value={args}
              onInput={(e) => setArgs(e.currentTarget.value)}
            />
          </>
        ) : (
          <>
            <label for="code">Code</label>
            <textarea
              id="code"
              rows={8}
              class="mono"
              spellcheck={false}
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </>
        )}
        <label class="check">
          <input
            type="checkbox"
            checked={batch}
            onChange={(e) => setBatch(e.currentTarget.checked)}
          />{' '}
          A batch: one JSON input per line
        </label>
        <label for="input">
          {batch
            ? 'Inputs (JSON lines)'
            : `Input (JSON, ${runtime === 'wasm' ? 'on stdin' : 'as INPUT'})`}
        </label>
        <textarea
          id="input"
          rows={batch ? 6 : 3}
          class="mono"
          spellcheck={false}
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {batch ? 'Submit batch' : 'Submit job'}
        </button>
        <ErrorNote error={error} />
      </form>
    </Section>
  )
}
