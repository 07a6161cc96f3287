/**
 * The seam between the API and where it is answered: which room owns a request. A single
 * orchestrator (the Node host, or a Workers job room answering what the front sent it) is one
 * room, this process; the Workers front reaches its job rooms as Durable Object stubs.
 */

/** This process: the request is answered by the routes mounted here. */
export const HERE = 'here'

/** A room elsewhere, reached by handing it the request (the host relays the body). */
export interface RemoteRoom {
  fetch(request: Request): Promise<Response>
}

export type Room = typeof HERE | RemoteRoom

/** Asked by the core for each request whose route is not answered anywhere alike. */
export interface Rooms {
  /** The room that holds a namespace's jobs, functions, database and files. */
  namespace(namespace: string): Room
  /** The room a job or batch id names (ids carry it, `r3-…`); the home room when it names none. */
  id(id: string): Room
  /** The home room: standalone services, runners, tokens, uploads. */
  home(): Room
  /** Every room, in order (the metrics of room i are labelled `room="i"`). */
  all(): readonly Room[]
  /** Where a new volunteer's socket goes (the host balances volunteers over its rooms). */
  volunteer(): Room | Promise<Room>
}

/** One room, and it is this process. */
export const thisProcess: Rooms = {
  namespace: () => HERE,
  id: () => HERE,
  home: () => HERE,
  all: () => [HERE],
  volunteer: () => HERE,
}
