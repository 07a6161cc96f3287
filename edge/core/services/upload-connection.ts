/**
 * One upload socket in front of the shared upload manager: it authenticates (AUTH, or the host
 * did at the upgrade), paces messages, and answers them in the order they came.
 */
import { encodeUploadMessage, parseUploadMessage } from '../../../shared/protocol/upload-protocol'
import type { MessageRate, MessageVerdict } from '../limits/message-rate'
import { fail, type Out } from './upload-group'

/** Whether an uploader may create or change services of a namespace. */
export type UploadScope = (namespace: string) => boolean

export interface ConnectionOptions {
  /** True when the host already authenticated the socket (then AUTH is optional). */
  authenticated: boolean
  /** The namespaces an authenticated socket may write services to (default: every one). */
  scope?: UploadScope
  /**
   * Checks an AUTH token: false or undefined for a wrong one, true (every namespace) or the
   * namespaces it covers. A throw counts as "could not check", not as a wrong token.
   */
  checkToken: (
    token: string,
  ) => boolean | UploadScope | undefined | Promise<boolean | UploadScope | undefined>
}

/** What to send back for one message, in order; `close: true` means send them, then close the socket. */
interface UploadReply {
  replies: string[]
  close: boolean
  /** The close frame's reason when `close` is set (default: unauthorized). */
  reason?: string
}

/** One socket's view of the manager. */
export interface UploadConnection {
  /** Handles one text message; never throws. Calls may overlap: replies keep message order. */
  receive(text: string): Promise<UploadReply>
}

/** Failed AUTH messages after which a connection is closed. */
const MAX_AUTH_FAILURES = 3

/** A connection that hands authenticated messages to `handle`, paced by `rate`. */
export function openConnection(
  handle: (text: string, scope: UploadScope) => Promise<Out>,
  options: ConnectionOptions,
  rate?: MessageRate,
): UploadConnection {
  return new Connection(handle, options, rate)
}

/** Authentication state of one socket in front of the shared manager. */
class Connection implements UploadConnection {
  #authenticated: boolean
  #scope: UploadScope
  #failures = 0
  #tail: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly handle: (text: string, scope: UploadScope) => Promise<Out>,
    private readonly options: ConnectionOptions,
    private readonly rate?: MessageRate,
  ) {
    this.#authenticated = options.authenticated
    this.#scope = options.scope ?? (() => true)
  }

  receive(text: string): Promise<UploadReply> {
    // Counted as it arrives, answered in turn.
    const verdict = this.rate?.check() ?? 'ok'
    const run = this.#tail.then(() =>
      verdict === 'ok' ? this.#receive(text) : this.#limited(verdict),
    )
    this.#tail = run
    return run
  }

  #limited(verdict: Exclude<MessageVerdict, 'ok'>): UploadReply {
    if (verdict === 'drop') return reply([])
    const why = this.rate?.describe() ?? 'too many messages'
    if (verdict === 'warn')
      return reply(fail(null, 'RATE_LIMITED', `${why}: messages are being dropped; slow down`))
    return {
      ...reply(fail(null, 'RATE_LIMITED', `${why}: closing`), true),
      reason: 'too many messages',
    }
  }

  async #receive(text: string): Promise<UploadReply> {
    try {
      if (this.#failures >= MAX_AUTH_FAILURES)
        return reply(fail(null, 'UNAUTHORIZED', 'too many failed AUTH attempts; closing'), true)
      if (this.#authenticated) return reply(await this.handle(text, this.#scope))
      return await this.#authenticate(text)
    } catch (err) {
      // A bug or a broken disk: the operator's log says which; the client learns no paths.
      console.error('upload failed unexpectedly:', err)
      return reply(fail(null, 'INTERNAL', 'the upload failed unexpectedly; try again'))
    }
  }

  async #authenticate(text: string): Promise<UploadReply> {
    const parsed = parseUploadMessage(text)
    if (!parsed.ok || parsed.message.type !== 'AUTH')
      return reply(fail(null, 'UNAUTHORIZED', 'authenticate first: send AUTH with a token'))
    let valid: boolean | UploadScope | undefined
    try {
      valid = await this.options.checkToken(parsed.message.payload.token)
    } catch {
      return reply(fail(null, 'UNAUTHORIZED', 'could not check the token; try again'))
    }
    if (valid) {
      this.#authenticated = true
      if (typeof valid === 'function') this.#scope = valid
      return reply([{ type: 'AUTH_OK', payload: {} }])
    }
    this.#failures++
    const closing = this.#failures >= MAX_AUTH_FAILURES
    const error = closing ? 'invalid token; too many failed attempts, closing' : 'invalid token'
    return reply(fail(null, 'UNAUTHORIZED', error), closing)
  }
}

const reply = (messages: Out, close = false): UploadReply => ({
  replies: messages.map(encodeUploadMessage),
  close,
})
