/** Private-network keys (`@libp2p/pnet`): the file an operator hands to every node of one mesh. */
import { generateKey } from '@libp2p/pnet'

// pnet's v1 key file: a fixed header, then 32 random bytes as 64 hex digits.
const SWARM_KEY_LENGTH = '/key/swarm/psk/1.0.0/\n/base16/\n'.length + 64

/** The contents of a new swarm key file, for `--swarm-key` to read back. */
export function generateSwarmKey(): Uint8Array {
  const key = new Uint8Array(SWARM_KEY_LENGTH)
  generateKey(key)
  return key
}
