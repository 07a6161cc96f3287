/**
 * A one-line progress bar on stderr, redrawn in place; only on a terminal. Elsewhere (a pipe, a
 * CI log) it prints plain lines at most every tenth of the way, so logs stay readable.
 */

export interface Progress {
  /** `done` of `total` units so far. */
  update(done: number): void
  /** Ends the bar's line. */
  finish(): void
}

const WIDTH = 30

/** A bar for `total` units, labelled; `format` shows a count (bytes, jobs). */
export function progressBar(
  label: string,
  total: number,
  format: (n: number) => string = String,
  tty = process.stderr.isTTY === true,
): Progress {
  let lastTenth = -1
  let last = -1
  const draw = (done: number) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1
    if (tty) {
      const filled = Math.round(fraction * WIDTH)
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${format(done)}/${format(total)} ${Math.floor(fraction * 100)}%`,
      )
      return
    }
    const tenth = Math.floor(fraction * 10)
    if (tenth === lastTenth) return
    lastTenth = tenth
    process.stderr.write(`${label}: ${format(done)}/${format(total)} (${tenth * 10}%)\n`)
  }
  return {
    update: (done) => {
      if (done === last) return
      last = done
      draw(done)
    },
    finish: () => {
      if (tty) process.stderr.write('\n')
    },
  }
}

/** Bytes as people read them. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

/** A silent progress, for `--json` and small things. */
export const noProgress: Progress = { update: () => {}, finish: () => {} }
