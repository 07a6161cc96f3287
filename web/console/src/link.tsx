/** A link to a console page: a real href (new tab works), client-side navigation on a click. */
import type { ComponentChildren } from 'preact'
import { href, navigate } from './router'

export function Link({
  to,
  children,
  class: className,
}: {
  to: string
  children: ComponentChildren
  class?: string
}) {
  return (
    <a
      href={href(to)}
      class={className}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
        e.preventDefault()
        navigate(to)
      }}
    >
      {children}
    </a>
  )
}
