import type { FaultSpec } from './faults.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER, type SimulatorStats } from './qualys-simulator.js';
import type { SubscriptionLimitSettings, SubscriptionLimitsPatch } from './subscription-limits.js';

/**
 * Drives a simulator through HTTP: for benchmarks and soak runs that start it
 * as a separate process (`npm run simulator`), where the in-process handle is
 * out of reach. Mirrors the handle's control methods.
 */
export class SimulatorClient {
  constructor(private readonly baseUrl: string) {}

  /** A bearer token from `POST /auth`, form-encoded as spec §7 requires. */
  async requestToken(username = SIMULATOR_USER, password = SIMULATOR_PASSWORD): Promise<string> {
    const response = await fetch(`${this.baseUrl}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password, token: 'true' }).toString(),
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`auth failed with ${response.status}: ${text}`);
    return text;
  }

  async stats(): Promise<SimulatorStats> {
    return (await this.call('GET', 'stats')) as SimulatorStats;
  }

  async resetStats(): Promise<void> {
    await this.call('DELETE', 'stats');
  }

  async injectFault(spec: FaultSpec): Promise<FaultSpec> {
    return (await this.call('POST', 'faults', spec)) as FaultSpec;
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', 'faults');
  }

  async setLatency(ms: number): Promise<void> {
    await this.call('POST', 'latency', { ms });
  }

  /** Searches with a longer filter (percent-encoded) answer 400; null removes the bound. */
  async setMaxFilterLength(length: number | null): Promise<void> {
    await this.call('POST', 'max-filter-length', { length });
  }

  async revokeTokens(): Promise<void> {
    await this.call('POST', 'revoke-tokens');
  }

  async expireTokensIn(ms: number): Promise<void> {
    await this.call('POST', 'expire-tokens', { ms });
  }

  async limits(): Promise<SubscriptionLimitSettings> {
    return (await this.call('GET', 'limits')) as SubscriptionLimitSettings;
  }

  /** Changes only what `patch` names (`null` removes a limit); answers the limits in force. */
  async setLimits(patch: SubscriptionLimitsPatch): Promise<SubscriptionLimitSettings> {
    return (await this.call('PATCH', 'limits', patch)) as SubscriptionLimitSettings;
  }

  private async call(method: string, route: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}/__simulator/${route}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`simulator ${method} ${route}: ${response.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}
