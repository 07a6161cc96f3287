/**
 * Headers for the volunteer page and everything it loads. Cross-origin isolation gives its Web
 * Workers SharedArrayBuffer (the stop flag and the guests' blocking `db` calls); it also means the
 * page embeds nothing from other origins, and other origins cannot embed its files.
 */
export const ISOLATION_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
}
