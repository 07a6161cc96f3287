/** A JSON request straight into an in-process app, keeping status, parsed body and headers. */
import type { TestApp } from './test-app'

/** A JSON request to `server`, from a loopback client. */
export async function json(
  server: TestApp,
  method: string,
  target: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await server.fetch(target, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  let parsed: any = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body: parsed, headers: res.headers }
}
