/**
 * A host's settings from its environment: the Node host's `PORT` and `ZERVERLESS_*` variables, a
 * Worker's bindings (wrangler.toml's vars and secrets). Each host reads only its own names, so a
 * stray `AUTH=off` in a shell does not open a Node orchestrator.
 */
import { z } from 'zod'
import {
  envVariables,
  readEnv,
  type EnvLike,
  type EnvVariable,
  type SettingResult,
} from '../../shared/agent/setting-sources'
import {
  commaList,
  oneOf,
  secretText,
  plainText,
  wholeNumber,
  type TextValue,
} from '../../shared/agent/text-values'
import type { HostConfigInput } from './host-config'
import { isLogThreshold, LOG_THRESHOLDS, type LogThreshold } from './observability/logger'

const variable = envVariables<HostConfigInput>()

/**
 * A Worker has nobody to tell at start: where a value does not read, the default applies, as it
 * always has there (a bad ROOMS or LOG_LEVEL must not take every request down).
 */
const lenient = <T>(read: (text: string) => T | undefined): TextValue<T | undefined> =>
  z.string().transform(read)

/** `zerverless`'s variables, under its flags (cli-program.ts names them in --help). */
const NODE_ENV: Readonly<Record<string, EnvVariable<HostConfigInput>>> = {
  PORT: variable(wholeNumber(0, 65535), 'port'),
  ZERVERLESS_DATA_DIR: variable(plainText, 'dataDir'),
  ZERVERLESS_LOG_LEVEL: variable(oneOf(LOG_THRESHOLDS), 'logLevel'),
  ZERVERLESS_ADMIN_TOKEN: variable(secretText, 'adminToken'),
  ZERVERLESS_SECRETS_KEY: variable(secretText, 'secretsKey'),
  ZERVERLESS_RUNNER_TOKEN: variable(secretText, 'orchestrator', 'runnerToken'),
  ZERVERLESS_VOLUNTEER_TOKEN: variable(secretText, 'orchestrator', 'volunteerToken'),
  ZERVERLESS_CORS_ORIGINS: variable(commaList, 'orchestrator', 'corsOrigins'),
  // The seed's names for the mesh.
  LIBP2P_PORT: variable(wholeNumber(0, 65535), 'p2p', 'port'),
  BOOTSTRAP_PEERS: variable(commaList, 'p2p', 'bootstrap'),
  ZERVERLESS_SWARM_KEY: variable(plainText, 'p2p', 'swarmKeyFile'),
  ZERVERLESS_FEDERATION_ALLOW: variable(commaList, 'p2p', 'allow'),
}

/** A Worker's bindings (see edge/workers/env.ts). */
const WORKERS_ENV: Readonly<Record<string, EnvVariable<HostConfigInput>>> = {
  ROOMS: variable(
    lenient((text) => {
      const n = Number(text)
      return Number.isInteger(n) && n >= 1 && n <= 256 ? n : undefined
    }),
    'rooms',
  ),
  LOG_LEVEL: variable(
    lenient((text): LogThreshold | undefined => (isLogThreshold(text) ? text : undefined)),
    'logLevel',
  ),
  // Anything but `off` keeps tokens required: a typo must not open the API.
  AUTH: variable(
    z.string().transform((text) => (text === 'off' ? 'off' : 'on')),
    'auth',
  ),
  ADMIN_TOKEN: variable(secretText, 'adminToken'),
  TOKEN_SECRET: variable(secretText, 'tokenSecret'),
  SECRETS_KEY: variable(secretText, 'secretsKey'),
  RUNNER_TOKEN: variable(secretText, 'orchestrator', 'runnerToken'),
  VOLUNTEER_TOKEN: variable(secretText, 'orchestrator', 'volunteerToken'),
  CORS_ORIGINS: variable(commaList, 'orchestrator', 'corsOrigins'),
}

/**
 * The settings `env` gives on this kind of host, to be parsed by `HostConfig` under `flags`; a
 * variable whose setting a flag gives is not read. A value that does not read is an error naming
 * its variable.
 */
export function configFromEnv(
  env: EnvLike,
  host: 'node' | 'workers',
  flags: HostConfigInput = {},
): SettingResult<HostConfigInput> {
  return readEnv(env, host === 'node' ? NODE_ENV : WORKERS_ENV, flags)
}
