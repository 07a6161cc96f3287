/** A volunteer driven by the test: it speaks the protocol frame by frame over a real WebSocket. */
import WebSocket from 'ws'
import type { Capabilities } from '../../shared/protocol/capabilities'
import { PROTOCOL_VERSION } from '../../shared/protocol/frames'

export type Frame = { type: string; [key: string]: any }

export class ScriptedVolunteer {
  readonly frames: Frame[] = []
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = []
  closed: { code: number; reason: string } | undefined
  private closeWaiters: (() => void)[] = []
  volunteerId: string | undefined

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame
      this.frames.push(frame)
      const waiter = this.waiters.find((w) => w.match(frame))
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        waiter.resolve(frame)
      }
    })
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
      for (const resolve of this.closeWaiters) resolve()
    })
  }

  /**
   * Connects and, unless `hello` is false, says hello and waits for the welcome. `from`: the
   * loopback address to connect from (127.0.0.2 is another address to the server); `hello`: more
   * fields of the hello (a runner's `peer`).
   */
  static async connect(
    url: string,
    capabilities: Partial<Capabilities> | false = {},
    options: { from?: string; hello?: Record<string, unknown> } = {},
  ): Promise<ScriptedVolunteer> {
    const socket = new WebSocket(url, options.from ? { localAddress: options.from } : {})
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    const volunteer = new ScriptedVolunteer(socket)
    if (capabilities !== false) {
      volunteer.send({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        agent: { kind: 'node', name: 'scripted' },
        capabilities: { runtimes: ['js', 'lua'], concurrency: 1, ...capabilities },
        ...options.hello,
      })
      const welcome = await volunteer.next('welcome')
      volunteer.volunteerId = welcome.volunteer_id
    }
    return volunteer
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The next frame of this type not yet consumed (frames already received count). */
  next(type: string, ms = 10_000): Promise<Frame> {
    const seen = this.frames.findIndex((f) => f.type === type && !consumed.has(f))
    if (seen >= 0) {
      const frame = this.frames[seen] as Frame
      consumed.add(frame)
      return Promise.resolve(frame)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no '${type}' frame within ${ms} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`,
            ),
          ),
        ms,
      )
      this.waiters.push({
        match: (f) => f.type === type,
        resolve: (f) => {
          clearTimeout(timer)
          consumed.add(f)
          resolve(f)
        },
      })
    })
  }

  /** Fails if a frame of this type arrives within `ms`. */
  async expectNo(type: string, ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms))
    const unexpected = this.frames.find((f) => f.type === type && !consumed.has(f))
    if (unexpected) throw new Error(`unexpected '${type}' frame: ${JSON.stringify(unexpected)}`)
  }

  complete(job: Frame, result: unknown, output = ''): void {
    this.send({ type: 'result', job_id: job.job_id, attempt: job.attempt, result, output })
  }

  waitClosed(ms = 10_000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), ms)
      this.closeWaiters.push(() => {
        clearTimeout(timer)
        resolve(this.closed as { code: number; reason: string })
      })
    })
  }

  close(): void {
    this.socket.close()
  }
}

const consumed = new WeakSet<Frame>()
