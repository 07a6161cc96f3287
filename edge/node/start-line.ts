/** The one line `zerverless` prints at start: the pages a person opens next, then where it runs. */

/**
 * `zerverless listening on URL · console URL/console/ · volunteer page URL/volunteer/ · API docs
 * URL/docs (N internal workers, data in DIR)`. The URL stays right after "listening on" and is
 * followed by a space: tests, benchmarks and scripts find the server by that.
 */
export function startLine(url: string, workers: number, dataDir: string): string {
  const pages = [
    `console ${url}/console/`,
    `volunteer page ${url}/volunteer/`,
    `API docs ${url}/docs`,
  ].join(' · ')
  const where = `${workers} internal worker${workers === 1 ? '' : 's'}, data in ${dataDir}`
  return `zerverless listening on ${url} · ${pages} (${where})`
}
