/**
 * Loads what a page shows and, when asked, polls it: the console's "live" is polling, which
 * every host and every proxy supports.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from './api'

export interface Loaded<T> {
  data: T | undefined
  error: ApiError | undefined
  loading: boolean
  reload: () => void
}

/**
 * Runs `load` now, whenever `deps` change, and every `everyMs` when given (stopping when
 * `stopWhen` says the data will not change any more).
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  everyMs?: number,
  stopWhen?: (data: T) => boolean,
): Loaded<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<ApiError>()
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  const latest = useRef(load)
  latest.current = load
  const reload = useCallback(() => setTick((t) => t + 1), [])

  useEffect(() => {
    let live = true
    let timer: ReturnType<typeof setTimeout> | undefined
    const run = async () => {
      try {
        const value = await latest.current()
        if (!live) return
        setData(value)
        setError(undefined)
        if (everyMs && !(stopWhen && stopWhen(value))) timer = setTimeout(run, everyMs)
      } catch (err) {
        if (!live) return
        setError(err instanceof ApiError ? err : new ApiError(0, 'CONSOLE', String(err)))
        if (everyMs) timer = setTimeout(run, everyMs * 2)
      } finally {
        if (live) setLoading(false)
      }
    }
    setLoading(true)
    void run()
    return () => {
      live = false
      if (timer) clearTimeout(timer)
    }
    // `load` is read through a ref: a page's inline function must not restart the poll.
  }, [...deps, tick])

  return { data, error, loading, reload }
}
