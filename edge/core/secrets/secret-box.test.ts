import { describe, expect, it } from 'vitest'
import { SecretBox } from './secret-box'

async function box(text = SecretBox.newKeyText()): Promise<SecretBox> {
  const made = await SecretBox.fromText(text)
  if (!made.ok) throw new Error(made.reason)
  return made.box
}

describe('SecretBox', () => {
  it('opens what it sealed, under the same context only', async () => {
    const b = await box()
    const sealed = await b.seal('hunter2', 'alice/API_KEY')
    expect(sealed).not.toContain('hunter2')
    expect(await b.open(sealed, 'alice/API_KEY')).toBe('hunter2')
    expect(await b.open(sealed, 'bob/API_KEY')).toBeUndefined()
  })

  it('seals the same value differently each time (a fresh nonce)', async () => {
    const b = await box()
    expect(await b.seal('x', 'c')).not.toBe(await b.seal('x', 'c'))
  })

  it('does not open with another key, or once altered', async () => {
    const sealed = await (await box()).seal('hunter2', 'c')
    expect(await (await box()).open(sealed, 'c')).toBeUndefined()
    const b = await box()
    const mine = await b.seal('hunter2', 'c')
    const flipped = mine.slice(0, -2) + (mine.endsWith('A') ? 'B' : 'A') + mine.slice(-1)
    expect(await b.open(flipped, 'c')).toBeUndefined()
    expect(await b.open('garbage', 'c')).toBeUndefined()
  })

  it('takes a key as hex or base64, and says why it refuses another', async () => {
    const hex = SecretBox.newKeyText()
    const base64 = Buffer.from(hex, 'hex').toString('base64')
    const sealed = await (await box(hex)).seal('v', 'c')
    expect(await (await box(base64)).open(sealed, 'c')).toBe('v')
    const refused = await SecretBox.fromText('too-short')
    expect(refused).toEqual({ ok: false, reason: expect.stringContaining('32 bytes') })
  })
})
