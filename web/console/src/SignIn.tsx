/**
 * Sign in with an API token. The token is checked against the server before it is kept, and kept
 * only in this tab's sessionStorage: it never appears in a URL, a link or the history.
 */
import { useState } from 'preact/hooks'
import { probeToken } from './api'
import { ErrorNote } from './ui'

export function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const answer = await probeToken(token.trim())
      if (answer === 'rejected') setError('The server did not accept this token (401).')
      else onSignedIn(token.trim())
    } catch (err) {
      setError(String((err as Error).message))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="signin">
      <h1>Zerverless console</h1>
      <p>
        This orchestrator needs an API token. It stays in this tab only and is never put in a URL.
      </p>
      <form onSubmit={submit} class="stack">
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <ErrorNote error={error} />
      </form>
      <p class="muted">
        An admin token is printed by the server at first start; <code>POST /api/tokens</code> makes
        scoped ones.
      </p>
    </main>
  )
}
