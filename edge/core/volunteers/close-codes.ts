/** Close codes (RFC 6455 §7.4): 1008 policy violation, 1002 protocol error, 1001 going away. */
export const CLOSE = { normal: 1000, goingAway: 1001, protocol: 1002, policy: 1008 } as const
