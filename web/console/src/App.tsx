/**
 * The console's shell: finds out whether the server needs a token (a 401 says so), shows the
 * sign-in form or the pages, and keeps the namespace every page lists.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { probeToken, whenUnauthorized } from './api'
import { Pages } from './Pages'
import { href, navigate, useRoute } from './router'
import { storedNamespace, storedToken, storeNamespace, storeToken } from './session'
import { SignIn } from './SignIn'
import { ErrorNote } from './ui'

type Access = 'checking' | 'signed-in' | 'open' | 'needs-token'

/** The pages in the navigation, in order. */
const NAV: [path: string, label: string][] = [
  ['/jobs', 'Jobs'],
  ['/submit', 'Submit'],
  ['/batches', 'Batches'],
  ['/functions', 'Functions'],
  ['/fleet', 'Volunteers'],
  ['/kv', 'KV'],
  ['/storage', 'Storage'],
  ['/workflows', 'Workflows'],
  ['/cron', 'Cron'],
  ['/secrets', 'Secrets'],
]

export function App() {
  const [access, setAccess] = useState<Access>(storedToken() ? 'signed-in' : 'checking')
  const [failure, setFailure] = useState<string>()
  const [namespace, setNamespace] = useState(storedNamespace)
  const route = useRoute()
  const main = useRef<HTMLElement>(null)
  const firstRoute = useRef(route)

  // After a client-side navigation, focus the new page (as a full page load would).
  useEffect(() => {
    if (route !== firstRoute.current) main.current?.focus()
  }, [route])

  useEffect(() => {
    whenUnauthorized(() => {
      storeToken(undefined)
      setAccess('needs-token')
    })
    if (access !== 'checking') return
    probeToken(null).then(
      (answer) => setAccess(answer === 'open' ? 'open' : 'needs-token'),
      (err: Error) => setFailure(err.message),
    )
    // Once, at start: later 401s come through whenUnauthorized.
  }, [])

  if (failure) return <ErrorNote error={failure} />
  if (access === 'checking') return <p class="page muted">Connecting…</p>
  if (access === 'needs-token')
    return (
      <SignIn
        onSignedIn={(token) => {
          storeToken(token)
          setAccess('signed-in')
        }}
      />
    )

  const section = `/${route.split('/')[1] ?? ''}`
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to the page
      </a>
      <header class="topbar">
        <a
          class="brand"
          href={href('/jobs')}
          onClick={(e) => (e.preventDefault(), navigate('/jobs'))}
        >
          Zerverless
        </a>
        <label class="ns">
          <span>Namespace</span>
          <input
            value={namespace}
            aria-label="Namespace"
            onChange={(e) => {
              const value = e.currentTarget.value.trim() || 'default'
              storeNamespace(value)
              setNamespace(value)
            }}
          />
        </label>
        {access === 'open' ? (
          <span class="muted small" data-testid="auth-state">
            auth off
          </span>
        ) : (
          <button
            class="link"
            data-testid="sign-out"
            onClick={() => {
              storeToken(undefined)
              setAccess('needs-token')
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <nav class="nav" aria-label="Console pages">
        {NAV.map(([path, label]) => (
          <a
            key={path}
            href={href(path)}
            aria-current={section === path ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault()
              navigate(path)
            }}
          >
            {label}
          </a>
        ))}
      </nav>
      <main class="page" id="main" ref={main} tabIndex={-1}>
        <Pages route={route} namespace={namespace} />
      </main>
    </div>
  )
}
