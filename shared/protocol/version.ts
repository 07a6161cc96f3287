/** The release, as agents report it in hello and the orchestrator in /info. */
export const VERSION = '0.1.0'
