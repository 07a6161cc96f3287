/**
 * A volunteer driven by the test: it speaks the protocol frame by frame, over a real WebSocket to a
 * process or over an in-memory socket to a core in this process (see test-app.ts).
 */
import type { Capabilities } from '../../shared/protocol/capabilities'
import { PROTOCOL_VERSION } from '../../shared/protocol/frames'
import { openWebSocket, type FrameSocket } from './frame-socket'

export type Frame = { type: string; [key: string]: any }

/** More of the hello: `hello` adds fields (a runner's `peer`). */
export interface HelloOptions {
  hello?: Record<string, unknown>
}

export class ScriptedVolunteer {
  readonly frames: Frame[] = []
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = []
  closed: { code: number; reason: string } | undefined
  private closeWaiters: (() => void)[] = []
  volunteerId: string | undefined

  private constructor(private readonly socket: FrameSocket) {
    socket.onMessage((text) => {
      const frame = JSON.parse(text) as Frame
      this.frames.push(frame)
      const waiter = this.waiters.find((w) => w.match(frame))
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        waiter.resolve(frame)
      }
    })
    socket.onClose((code, reason) => {
      this.closed = { code, reason }
      for (const resolve of this.closeWaiters) resolve()
    })
  }

  /**
   * Connects over a real WebSocket and, unless `capabilities` is false, says hello and waits for
   * the welcome. `from`: the loopback address to connect from (127.0.0.2 is another address to
   * the server).
   */
  static async connect(
    url: string,
    capabilities: Partial<Capabilities> | false = {},
    options: HelloOptions & { from?: string } = {},
  ): Promise<ScriptedVolunteer> {
    const socket = await openWebSocket(url, options.from ? { from: options.from } : {})
    return ScriptedVolunteer.over(socket, capabilities, options)
  }

  /** Drives an open socket; says hello unless `capabilities` is false. */
  static async over(
    socket: FrameSocket,
    capabilities: Partial<Capabilities> | false = {},
    options: HelloOptions = {},
  ): Promise<ScriptedVolunteer> {
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

  /** Whether frames can still be sent. */
  get isOpen(): boolean {
    return this.socket.open
  }

  /** Sends a frame; a string goes as it is (a heartbeat, or garbage). */
  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Calls `listener` with every frame from now on (as well as keeping it in `frames`). */
  onFrame(listener: (frame: Frame) => void): void {
    this.socket.onMessage((text) => listener(JSON.parse(text) as Frame))
  }

  onClose(listener: () => void): void {
    this.socket.onClose(() => listener())
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

  /** Cuts the connection: the volunteer vanishes without a goodbye. */
  terminate(): void {
    this.socket.terminate()
  }
}

const consumed = new WeakSet<Frame>()

/** Sends a heartbeat every `ms` while the volunteer is connected (so only its silence on jobs counts). */
export function keepAlive(v: ScriptedVolunteer, ms: number): void {
  const timer = setInterval(() => v.isOpen && v.send({ type: 'heartbeat' }), ms)
  v.onClose(() => clearInterval(timer))
}
