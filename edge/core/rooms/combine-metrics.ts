/**
 * Every room's `/metrics` as one exposition: each sample gets a `room` label, and the samples of
 * one metric from all rooms sit together under a single HELP and TYPE, as the format requires.
 * Sum across rooms in the query: `sum without (room) (zerverless_jobs)`.
 */

interface Family {
  meta: string[]
  samples: string[]
}

/** `texts[i]` is room i's answer. */
export function mergeMetrics(texts: readonly string[]): string {
  const families = new Map<string, Family>()
  const familyOf = (name: string) => {
    let family = families.get(name)
    if (!family) families.set(name, (family = { meta: [], samples: [] }))
    return family
  }
  texts.forEach((text, room) => {
    let current: Family | undefined
    for (const line of text.split('\n')) {
      if (line === '') continue
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)
      if (meta) {
        current = familyOf(meta[2] as string)
        // The first room's HELP and TYPE stand for all.
        if (!current.meta.some((m) => m.startsWith(`# ${meta[1]} `))) current.meta.push(line)
        continue
      }
      if (line.startsWith('#')) continue
      // Histogram samples (name_bucket, _sum, _count) belong to the family declared above them.
      const sample = withRoom(line, room)
      if (current) current.samples.push(sample)
      else familyOf(sample.split(/[{ ]/, 1)[0] as string).samples.push(sample)
    }
  })
  let out = ''
  for (const family of families.values())
    for (const line of [...family.meta, ...family.samples]) out += `${line}\n`
  return out
}

/** `name{a="x"} 1` → `name{room="3",a="x"} 1`; `name 1` → `name{room="3"} 1`. */
export function withRoom(line: string, room: number): string {
  const label = `room="${room}"`
  const end = line.search(/[{ ]/)
  if (end === -1) return line
  const name = line.slice(0, end)
  if (line[end] === ' ') return `${name}{${label}}${line.slice(end)}`
  const rest = line.slice(end + 1)
  return `${name}{${label}${rest.startsWith('}') ? '' : ','}${rest}`
}
