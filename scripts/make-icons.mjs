// Draws the app icons (a white "Z" on a rounded indigo square) as PNGs, so they are reproducible
// without an image editor: node scripts/make-icons.mjs
import { writeFileSync } from 'node:fs'
import { Buffer } from 'node:buffer'
import { deflateSync } from 'node:zlib'

const BG = [49, 46, 129] // indigo-900
const FG = [255, 255, 255]

function crc32(bytes) {
  let c
  const table = []
  for (let n = 0; n < 256; n++) {
    c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  let crc = 0xffffffff
  for (const b of bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5)
      const i = y * (size * 4 + 1) + 1 + x * 4
      raw[i] = r
      raw[i + 1] = g
      raw[i + 2] = b
      raw[i + 3] = a
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8
  header[9] = 6
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** Distance from p to the segment a–b. */
function segment(px, py, ax, ay, bx, by) {
  const dx = bx - ax
  const dy = by - ay
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy))
}

/** `inset` is the safe-zone margin: maskable icons keep the mark inside the middle 80 %. */
function icon(size, { rounded, inset }) {
  const s = size
  const radius = rounded ? s * 0.22 : 0
  const m = s * inset
  const w = s * 0.075
  return png(size, (x, y) => {
    const cx = Math.min(Math.max(x, radius), s - radius)
    const cy = Math.min(Math.max(y, radius), s - radius)
    if (Math.hypot(x - cx, y - cy) > radius + 0.5) return [0, 0, 0, 0]
    const d = Math.min(
      segment(x, y, m, m, s - m, m),
      segment(x, y, s - m, m, m, s - m),
      segment(x, y, m, s - m, s - m, s - m),
    )
    const ink = Math.max(0, Math.min(1, w - d + 0.5))
    const mix = (i) => Math.round(BG[i] * (1 - ink) + FG[i] * ink)
    return [mix(0), mix(1), mix(2), 255]
  })
}

const out = new URL('../web/public/icons/', import.meta.url)
writeFileSync(new URL('icon-192.png', out), icon(192, { rounded: true, inset: 0.28 }))
writeFileSync(new URL('icon-512.png', out), icon(512, { rounded: true, inset: 0.28 }))
writeFileSync(new URL('maskable-512.png', out), icon(512, { rounded: false, inset: 0.32 }))
writeFileSync(new URL('apple-touch-icon-180.png', out), icon(180, { rounded: false, inset: 0.28 }))
console.log('wrote web/public/icons/*.png')
