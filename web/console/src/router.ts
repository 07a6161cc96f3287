/**
 * A tiny router over the History API: pages are paths under /console/ (the server answers each
 * with the app's index.html), so a page can be bookmarked and the back button works.
 */
import { useEffect, useState } from 'preact/hooks'

const BASE = '/console'

/** The current page's path below /console/, e.g. `/jobs/123`. */
function current(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/'
  return path === '' ? '/' : path
}

/** Goes to a page of the console without reloading it. */
export function navigate(path: string): void {
  history.pushState(null, '', `${BASE}${path}`)
  dispatchEvent(new PopStateEvent('popstate'))
}

/** The href of a console page, for real links (open in a new tab works). */
export const href = (path: string) => `${BASE}${path}`

/** The current path, re-rendering when it changes. */
export function useRoute(): string {
  const [path, setPath] = useState(current)
  useEffect(() => {
    const changed = () => setPath(current())
    addEventListener('popstate', changed)
    return () => removeEventListener('popstate', changed)
  }, [])
  return path
}
