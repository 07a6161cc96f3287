/** What the executor-trust contract's sections share: secrets, hellos, fake runners and volunteers. */
import { expect } from 'vitest'
import { PROTOCOL_VERSION } from '../../shared/protocol/frames'
import { ScriptedVolunteer, type Frame } from '../helpers/scripted-volunteer'

export const GIT_PASSWORD = 'hunter2-git-password'
export const DB_SECRET = 's3cret-db-password'
export const STDIN_SECRET = 'card 4111-1111-1111-1111'

const SYSTEM = {
  platform: 'linux',
  architecture: 'amd64',
  kernel_version: '6.1.0',
  cpu_model: 'fake',
  cpu_cores: 8,
  cpu_threads: 16,
  total_memory_mb: 65536,
  available_memory_mb: 60000,
  total_disk_mb: 1_000_000,
  available_disk_mb: 900_000,
  gpus: [],
  has_docker: false,
  has_python: false,
}
/** A JSON client that sends `token` as a Bearer header. */
export function as(base: string, token?: string) {
  const call = async (method: string, route: string, body?: unknown, headers = {}) => {
    const res = await fetch(base + route, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: any = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // Plain text (a function's answer).
    }
    return { status: res.status, body: parsed, headers: res.headers }
  }
  return {
    get: (route: string, headers?: Record<string, string>) =>
      call('GET', route, undefined, headers),
    post: (route: string, body: unknown) => call('POST', route, body),
    put: (route: string, body: unknown) => call('PUT', route, body),
    delete: (route: string) => call('DELETE', route),
  }
}

export function runnerHello(peerId: string, token?: string): Frame {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    agent: { kind: 'runner', name: 'fake-runner' },
    capabilities: { runtimes: ['native'], concurrency: 2 },
    peer: { id: peerId, native: true, system: SYSTEM },
    ...(token && { token }),
  }
}

/**
 * What the attacker's runner does with whatever it is sent: registers any executable with a
 * made-up hash and answers every run with a forged result.
 */
export function playAlong(runner: ScriptedVolunteer): void {
  runner.onFrame((frame) => {
    if (frame.type === 'service_register')
      runner.send({
        type: 'service_registered',
        request_id: frame.request_id,
        ok: true,
        executable_path: `/srv/${frame.service_name}/run.sh`,
        sha256: 'ab'.repeat(32),
        size: 42,
      })
    if (frame.type === 'job')
      runner.send({
        type: 'result',
        job_id: frame.job_id,
        attempt: frame.attempt,
        result: { forged: true },
        output: 'all good\n',
      })
  })
}

/** Opens a socket and sends `hello`, without waiting for a welcome (it may be refused). */
export async function open(url: string, hello: Frame): Promise<ScriptedVolunteer> {
  const socket = await ScriptedVolunteer.connect(url, false)
  socket.send(hello)
  return socket
}

export function volunteerHello(token?: string, namespaces?: string[]): Frame {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    agent: { kind: 'browser', name: 'scripted' },
    capabilities: { runtimes: ['js', 'lua'], concurrency: 1, ...(namespaces && { namespaces }) },
    ...(token && { token }),
  }
}

export async function volunteer(url: string, token?: string, namespaces?: string[]) {
  const v = await open(url, volunteerHello(token, namespaces))
  await v.next('welcome')
  return v
}

let nextRequest = 1
/** A guest's `db` call sent from a job the volunteer holds; resolves with the orchestrator's reply. */
export async function hostCall(v: ScriptedVolunteer, job: Frame, call: Record<string, unknown>) {
  const request_id = nextRequest++
  v.send({ type: 'host', job_id: job.job_id, attempt: job.attempt, request_id, call })
  const reply = await v.next('host_reply')
  expect(reply.request_id).toBe(request_id)
  return reply.reply as { ok: boolean; value?: any; error?: string }
}

export interface TrustHost {
  url: string
  /** `/ws/volunteer` for volunteers. */
  wsUrl: string
  /** Where runners connect (the edge sends them to room 0 with `?role=runner`). */
  runnerWsUrl: string
  stop(): Promise<void>
}

type Client = ReturnType<typeof as>

/** What the contract's sections share: the host, once started, and its callers. */
export interface TrustContext {
  readonly host: TrustHost
  readonly admin: Client
  /** alice's and bob's clients, with jobs, db, services and deploy in their own namespace. */
  readonly alice: Client
  readonly bob: Client
  readonly bobToken: string
  /** Keeps a socket to be cut when the suite ends. */
  keep(v: ScriptedVolunteer): ScriptedVolunteer
  /** A token the admin issues. */
  issue(namespaces: string[], rights: string[]): Promise<string>
}
