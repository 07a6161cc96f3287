/**
 * What the console remembers for this browser tab only: the token (sessionStorage, never a URL,
 * gone when the tab closes), whether the server needs one, and the namespace being looked at.
 */
const TOKEN = 'zv-console-token'
const NAMESPACE = 'zv-console-namespace'
const BATCHES = 'zv-console-batches'

/** The token this tab signed in with, if any. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN) ?? undefined
}

export function storeToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN, token)
  else sessionStorage.removeItem(TOKEN)
}

/** The namespace the pages list by default; `default` is the API's own default. */
export function storedNamespace(): string {
  return sessionStorage.getItem(NAMESPACE) ?? 'default'
}

export function storeNamespace(namespace: string): void {
  sessionStorage.setItem(NAMESPACE, namespace)
}

/** Batches submitted from this tab, newest first, so the batches page can find them again. */
export function rememberedBatches(): string[] {
  try {
    const list: unknown = JSON.parse(sessionStorage.getItem(BATCHES) ?? '[]')
    return Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string') : []
  } catch {
    return []
  }
}

export function rememberBatch(id: string): void {
  const list = [id, ...rememberedBatches().filter((b) => b !== id)].slice(0, 50)
  sessionStorage.setItem(BATCHES, JSON.stringify(list))
}
