/**
 * A volunteer's hello: the protocol version, the credential it presents (an issued token is
 * checked asynchronously), and what it may run as the identity that credential proves. One that
 * passes is welcomed and admitted to the pool; the others are told why and closed.
 */
import type { Capabilities } from '../../../shared/protocol/capabilities'
import type { ProtocolErrorCode } from '../../../shared/protocol/errors'
import { PROTOCOL_VERSION, type VolunteerFrame } from '../../../shared/protocol/frames'
import { CLOSE } from './close-codes'
import { servedNamespaces, type Identified } from './executor-identity'
import type { VolunteerSession } from './volunteer-session'

export interface HandshakeDeps {
  heartbeatIntervalMs: number
  maxFrameBytes: number
  /** Who presents a credential (see executor-identity.ts). */
  identify(token: string | undefined): Identified | Promise<Identified>
  /** A welcomed volunteer takes work. */
  admit(session: VolunteerSession): void
  /** A frame that breaks the protocol: it counts as a bad frame. */
  reject(session: VolunteerSession, code: ProtocolErrorCode, message: string): void
}

export class Handshake {
  constructor(private readonly deps: HandshakeDeps) {}

  /** A volunteer's hello: answered at once, or once its credential was checked (a promise). */
  hello(
    session: VolunteerSession,
    frame: Extract<VolunteerFrame, { type: 'hello' }>,
  ): void | Promise<void> {
    if (session.state !== 'greeting' || session.helloPending)
      return this.deps.reject(session, 'BAD_FRAME', 'hello was already received on this connection')
    if (frame.protocol !== PROTOCOL_VERSION) {
      session.send({
        type: 'error',
        code: 'PROTOCOL_VERSION',
        message: `this orchestrator speaks protocol ${PROTOCOL_VERSION}; the volunteer sent ${frame.protocol}`,
      })
      session.close(CLOSE.protocol, 'unsupported protocol version')
      return
    }
    // The hello's own token first (runners send theirs there), else the one the socket offered.
    const identified = this.deps.identify(frame.token ?? session.offeredToken)
    session.offeredToken = undefined
    if (!(identified instanceof Promise)) return this.welcome(session, frame, identified)
    session.helloPending = true
    return identified.then(
      (result) => {
        session.helloPending = false
        if (session.state === 'greeting') this.welcome(session, frame, result)
      },
      () => {
        session.helloPending = false
        refuse(session, 'the credential could not be checked; try again')
      },
    )
  }

  /** Admits a volunteer as what its credential makes it, or turns it away. */
  private welcome(
    session: VolunteerSession,
    frame: Extract<VolunteerFrame, { type: 'hello' }>,
    identified: Identified,
  ): void {
    if (!identified.ok) return refuse(session, identified.message)
    const { identity } = identified
    if (frame.peer && !identity.runner)
      return refuse(
        session,
        'this orchestrator takes runners with a credential only: start the runner with --token and its runner token, or a token the admin issued with the runner right',
      )
    const namespaces = servedNamespaces(frame.capabilities.namespaces, identity)
    if (namespaces?.length === 0)
      return refuse(
        session,
        `the token covers none of the namespaces asked for (it covers ${identity.namespaces?.join(', ')})`,
      )
    // Only a runner that opted in may be sent native executables to run.
    const native = frame.peer?.native === true
    const capabilities: Capabilities = {
      ...frame.capabilities,
      runtimes: native
        ? frame.capabilities.runtimes
        : frame.capabilities.runtimes.filter((r) => r !== 'native'),
    }
    // The whitelist it serves is what it asked for, narrowed to what its token covers.
    if (namespaces) capabilities.namespaces = namespaces
    else delete capabilities.namespaces
    session.capabilities = capabilities
    if (session.capabilities.runtimes.length === 0) {
      session.send({
        type: 'error',
        code: 'BAD_FRAME',
        message: 'the volunteer offers no runtime it may run',
      })
      session.close(CLOSE.policy, 'no runtimes')
      return
    }
    session.identity = identity
    session.agent = frame.agent
    session.peer = frame.peer
    session.state = 'active'
    session.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      volunteer_id: session.id,
      heartbeat_interval_ms: this.deps.heartbeatIntervalMs,
      max_frame_bytes: this.deps.maxFrameBytes,
    })
    this.deps.admit(session)
  }
}

/** A volunteer whose credential is missing or not good: told why, and closed. */
function refuse(session: VolunteerSession, message: string): void {
  session.send({ type: 'error', code: 'UNAUTHORIZED', message })
  session.close(CLOSE.policy, message.slice(0, 120))
}
