import type { RelayContext } from '../../src/auth/relay-context.js';
import { TEST_API_URL, TEST_PLATFORM_URL } from './jwt-test-config.js';

/** A caller's relay context as a verified JWT would give it, for unit specs that call no Qualys. */
export const TEST_RELAY_CONTEXT: RelayContext = {
  credentials: { user: 'alice', pass: 'secret' },
  apiUrl: TEST_API_URL,
  platformUrl: TEST_PLATFORM_URL,
  entitiesLimit: 100,
};
