/**
 * The browsers' shared shapes: a list of named things (keys, files, secrets) each with a delete
 * button, and cursor paging through such a list.
 */
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'

/**
 * One row per name: a button that selects it when `onSelect` is given (plain text otherwise),
 * what `extra` adds, and a Delete button.
 */
export function NamedItems(props: {
  names: string[] | undefined
  testId: string
  empty: string
  selected?: string | undefined
  onSelect?: (name: string) => void
  onDelete: (name: string) => void
  extra?: (name: string) => ComponentChildren
}) {
  const { names, selected, onSelect, onDelete, extra } = props
  return (
    <>
      <ul class="plain list" data-testid={props.testId}>
        {names?.map((name) => (
          <li key={name} class="row">
            {onSelect ? (
              <button
                class="link mono grow"
                aria-pressed={selected === name}
                onClick={() => onSelect(name)}
              >
                {name}
              </button>
            ) : (
              <span class="mono grow">{name}</span>
            )}
            {extra?.(name)}
            <button
              class="danger small"
              aria-label={`Delete ${name}`}
              onClick={() => onDelete(name)}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      {names?.length === 0 && <p class="muted">{props.empty}</p>}
    </>
  )
}

/** Where a cursor-paged list is: the cursors of the pages before this one. */
export function useCursors(): {
  cursor: string | undefined
  pages: string[]
  next: (cursor: string) => void
  previous: () => void
  reset: () => void
} {
  const [pages, setPages] = useState<string[]>([])
  return {
    cursor: pages.at(-1),
    pages,
    next: (cursor) => setPages([...pages, cursor]),
    previous: () => setPages(pages.slice(0, -1)),
    reset: () => setPages([]),
  }
}

/** Previous and Next buttons, each shown when there is such a page. */
export function Pager({
  at,
  nextCursor,
}: {
  at: ReturnType<typeof useCursors>
  nextCursor: string | null | undefined
}) {
  return (
    <div class="row">
      {at.pages.length > 0 && <button onClick={at.previous}>Previous</button>}
      {nextCursor && <button onClick={() => at.next(nextCursor)}>Next</button>}
    </div>
  )
}
