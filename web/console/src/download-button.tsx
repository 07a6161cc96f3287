/**
 * Saves a file the API serves behind a token: a plain link cannot carry the token (it stays out
 * of URLs), so the file is fetched with it and handed to the browser as a download.
 */
import { useState } from 'preact/hooks'
import type { ApiError } from './api'
import { ErrorNote } from './ui'

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name.split('/').at(-1) || 'download'
  document.body.append(link)
  link.click()
  link.remove()
  // The click has started the download; the URL is no longer needed once it has.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

export function DownloadButton({ name, fetch }: { name: string; fetch: () => Promise<Blob> }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ApiError | string>()
  const download = async () => {
    setBusy(true)
    try {
      save(await fetch(), name)
      setError(undefined)
    } catch (err) {
      setError(err as ApiError)
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button class="small" aria-label={`Download ${name}`} disabled={busy} onClick={download}>
        {busy ? 'Downloading…' : 'Download'}
      </button>
      <ErrorNote error={error} />
    </>
  )
}
