/**
 * The namespace's files: list by prefix, view a text file, upload one (any size; the body
 * streams) and delete. Public files are also served at /static/{namespace}/{path}.
 */
import { useState } from 'preact/hooks'
import { api, type ApiError } from '../api'
import { ErrorNote, Section } from '../ui'
import { DownloadButton } from '../download-button'
import { NamedItems, Pager, useCursors } from '../named-items'
import { useLoad } from '../use-load'

/** Only the start of a long file is shown: a huge text node makes the page crawl. */
const PREVIEW_BYTES = 256 * 1024

export function StoragePage({ namespace }: { namespace: string }) {
  const [prefix, setPrefix] = useState('')
  const pages = useCursors()
  const [selected, setSelected] = useState<string>()
  const [target, setTarget] = useState('')
  const [file, setFile] = useState<File>()
  const [error, setError] = useState<ApiError | string>()
  const [busy, setBusy] = useState(false)
  const files = useLoad(
    () => api.files(namespace, prefix, pages.cursor),
    [namespace, prefix, pages.cursor],
  )
  const preview = useLoad(
    () => (selected ? api.fileText(namespace, selected) : Promise.resolve(undefined)),
    [namespace, selected],
  )

  const upload = async (event: Event) => {
    event.preventDefault()
    if (!file) return setError('Choose a file to upload')
    const path = target.trim() || file.name
    setBusy(true)
    try {
      await api.filePut(namespace, path, file)
      setError(undefined)
      files.reload()
    } catch (err) {
      setError(err as ApiError)
    } finally {
      setBusy(false)
    }
  }

  const remove = async (path: string) => {
    try {
      await api.fileDelete(namespace, path)
      if (selected === path) setSelected(undefined)
      files.reload()
    } catch (err) {
      setError(err as ApiError)
    }
  }

  return (
    <>
      <Section title={`Storage of ${namespace}`}>
        <label class="row">
          Prefix{' '}
          <input
            value={prefix}
            onChange={(e) => (setPrefix(e.currentTarget.value), pages.reset())}
          />
        </label>
        <ErrorNote error={files.error} />
        <NamedItems
          names={files.data?.files}
          testId="files"
          empty={`No files${prefix ? ` under ${prefix}` : ''}.`}
          selected={selected}
          onSelect={setSelected}
          onDelete={remove}
          extra={(path) => (
            <DownloadButton name={path} fetch={() => api.fileBlob(namespace, path)} />
          )}
        />
        <Pager at={pages} nextCursor={files.data?.cursor} />
        {selected && (
          <>
            <h3 class="mono">{selected}</h3>
            <ErrorNote error={preview.error} />
            {preview.data !== undefined && (
              <pre class="code">
                {preview.data.length > PREVIEW_BYTES
                  ? `${preview.data.slice(0, PREVIEW_BYTES)}\n…`
                  : preview.data}
              </pre>
            )}
          </>
        )}
      </Section>
      <Section title="Upload a file">
        <form class="stack" onSubmit={upload}>
          <label for="file">File</label>
          <input id="file" type="file" onChange={(e) => setFile(e.currentTarget.files?.[0])} />
          <label for="file-path">Path (default: the file's name)</label>
          <input id="file-path" value={target} onInput={(e) => setTarget(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            {busy ? 'Uploading…' : 'Upload'}
          </button>
          <ErrorNote error={error} />
        </form>
      </Section>
    </>
  )
}
