/**
 * The runners among the connected volunteers (those that said hello with a `peer`), and the
 * requests the orchestrator makes of them: register a service's executable, forget one.
 */
import { acceptsNamespace } from '../../../shared/protocol/capabilities'
import type { ServiceRegisterFrame, ServiceRegisteredFrame } from '../../../shared/protocol/frames'
import { HttpError } from '../http-error'
import type { VolunteerSession } from '../volunteers/volunteer-session'

interface Pending {
  session: VolunteerSession
  resolve: (frame: ServiceRegisteredFrame) => void
  timer: ReturnType<typeof setTimeout>
}

export type RegisterRequest = Omit<ServiceRegisterFrame, 'type' | 'request_id'>

export class RunnerDirectory {
  private nextRequest = 1
  private readonly pending = new Map<number, Pending>()

  constructor(private readonly sessions: () => Iterable<VolunteerSession>) {}

  /** Connected runners, native or not, in the order they connected. */
  runners(): VolunteerSession[] {
    return [...this.sessions()].filter(
      (s) => s.peer !== undefined && (s.state === 'active' || s.state === 'draining'),
    )
  }

  /** Connected runners that may take work from `namespace`. */
  runnersFor(namespace: string): VolunteerSession[] {
    return this.runners().filter((s) => mayServe(s, namespace))
  }

  find(peerId: string): VolunteerSession | undefined {
    return this.runners().find((s) => s.peer?.id === peerId && s.state === 'active')
  }

  /**
   * The runner a new local or git service of `namespace` goes to: the one named, or the only one
   * there is, among runners allowed to take that namespace's work (a git password goes with it).
   */
  choose(peerId: string | undefined, namespace: string): VolunteerSession {
    const native = this.runners().filter((s) => s.state === 'active' && s.peer?.native)
    const allowed = native.filter((s) => mayServe(s, namespace))
    if (peerId !== undefined) {
      const chosen = allowed.find((s) => s.peer?.id === peerId)
      if (chosen) return chosen
      const known = this.find(peerId)
      if (known?.peer?.native)
        throw new HttpError(
          403,
          'RUNNER_NOT_ALLOWED',
          `runner ${peerId} does not take work from namespace '${namespace}' (its token is bound to other namespaces)`,
          { field: 'peer_id' },
        )
      throw known
        ? new HttpError(409, 'NATIVE_DISABLED', `runner ${peerId} does not run native executables`)
        : new HttpError(
            404,
            'PEER_NOT_FOUND',
            `no runner ${peerId} is connected; see GET /api/peers`,
            {
              field: 'peer_id',
            },
          )
    }
    if (allowed.length === 1) return allowed[0] as VolunteerSession
    if (allowed.length === 0)
      throw new HttpError(
        503,
        'NO_RUNNERS',
        native.length === 0
          ? 'no runner that runs native executables is connected; start one with `npx zerverless-runner --orchestrator <url>`'
          : `no connected runner may take work from namespace '${namespace}'; start one with a token that covers it`,
        { headers: { 'retry-after': '5' } },
      )
    throw new HttpError(
      400,
      'PEER_REQUIRED',
      `${allowed.length} runners are connected: choose one with peer_id (see GET /api/peers)`,
      { field: 'peer_id' },
    )
  }

  /** Asks a runner to register an executable and waits for what it found. */
  register(
    session: VolunteerSession,
    request: RegisterRequest,
    timeoutMs: number,
  ): Promise<ServiceRegisteredFrame> {
    const requestId = this.nextRequest++
    return new Promise((resolve) => {
      const fail = (error: string) =>
        resolve({ type: 'service_registered', request_id: requestId, ok: false, error })
      const timer = setTimeout(() => {
        this.pending.delete(requestId)
        fail(`the runner did not answer within ${Math.round(timeoutMs / 1000)} s`)
      }, timeoutMs)
      this.pending.set(requestId, { session, resolve, timer })
      if (!session.send({ type: 'service_register', request_id: requestId, ...request })) {
        clearTimeout(timer)
        this.pending.delete(requestId)
        fail('the runner disconnected')
      }
    })
  }

  /** A runner's answer; ignored unless that runner was asked. */
  registered(session: VolunteerSession, frame: ServiceRegisteredFrame): boolean {
    const pending = this.pending.get(frame.request_id)
    if (!pending || pending.session !== session) return false
    clearTimeout(pending.timer)
    this.pending.delete(frame.request_id)
    pending.resolve(frame)
    return true
  }

  disconnected(session: VolunteerSession): void {
    for (const [id, pending] of this.pending) {
      if (pending.session !== session) continue
      clearTimeout(pending.timer)
      this.pending.delete(id)
      pending.resolve({
        type: 'service_registered',
        request_id: id,
        ok: false,
        error: 'the runner disconnected',
      })
    }
  }
}

/** Whether a runner may be given a namespace's services: trusted, and its whitelist covers it. */
function mayServe(session: VolunteerSession, namespace: string): boolean {
  return (
    session.trusted &&
    session.capabilities !== undefined &&
    acceptsNamespace(session.capabilities, namespace)
  )
}
