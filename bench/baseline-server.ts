/**
 * The bare baseline the relay's throughput is measured against (issue #6):
 * plain `node:http`, no framework, no validation, no CTIM mapping. For a POST
 * of `[{"type","value"}, …]` it makes the same Qualys calls as the relay —
 * one `POST /auth` for the process (token shared by all requests), then the
 * active and the historical search of every observable at once, over a
 * keep-alive agent — and answers `{"data": [<every raw event>]}`.
 *
 * It parses each Qualys answer and serialises the events again: any relay has
 * to read the events it returns, so that much is part of the floor.
 *
 *   node build/bench/baseline-server.js --api-url <simulator url>
 *        [--port 0] [--max-sockets 64] [--page-size 100]
 * Credentials come from BASELINE_USER / BASELINE_PASSWORD. Prints one JSON
 * line `{"baseline":"ready","url":…}`; SIGTERM stops it.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { isSupportedObservableType } from '../src/common/observable.js';
import { buildSearchFilter } from '../src/qualys/search-filter.js';

const { values } = parseArgs({
  options: {
    'api-url': { type: 'string' },
    port: { type: 'string', default: '0' },
    'max-sockets': { type: 'string', default: '64' },
    'page-size': { type: 'string', default: '100' },
  },
});
const apiUrl = values['api-url'];
if (apiUrl === undefined) throw new Error('--api-url is required');
const user = process.env.BASELINE_USER ?? '';
const password = process.env.BASELINE_PASSWORD ?? '';
const pageSize = String(Number(values['page-size']));

// Same upstream shape as the relay's agent (src/qualys/http-agents.ts).
const maxSockets = Number(values['max-sockets']);
const agent = new Agent({
  keepAlive: true,
  keepAliveMsecs: 1000,
  maxSockets,
  maxFreeSockets: maxSockets,
});

function call(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve([res.statusCode ?? 0, text]));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

let token: Promise<string> | undefined;

/** One token for the whole process, fetched once (the relay caches too). */
function qualysToken(): Promise<string> {
  token ??= call(
    'POST',
    `${apiUrl}/auth`,
    { 'Content-Type': 'application/x-www-form-urlencoded' },
    new URLSearchParams({ username: user, password, token: 'true' }).toString(),
  ).then(([status, text]) => {
    if (status < 200 || status >= 300) {
      token = undefined;
      throw new Error(`auth answered ${status}`);
    }
    return text.trim();
  });
  return token;
}

async function search(filter: string, active: boolean): Promise<unknown[]> {
  const params = new URLSearchParams({ pageSize, filter });
  if (active) params.set('state', 'true');
  const [status, text] = await call('GET', `${apiUrl}/ioc/events?${params.toString()}`, {
    Authorization: `Bearer ${await qualysToken()}`,
    Accept: 'application/json',
  });
  if (status !== 200) throw new Error(`search answered ${status}`);
  return JSON.parse(text) as unknown[];
}

async function answer(body: string): Promise<string> {
  const observables = JSON.parse(body) as { type: string; value: string }[];
  const searches = observables.flatMap(({ type, value }) => {
    if (!isSupportedObservableType(type)) return [];
    const filter = buildSearchFilter({ type, value });
    return [search(filter, true), search(filter, false)];
  });
  const events = (await Promise.all(searches)).flat();
  return JSON.stringify({ data: events });
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    answer(body).then(
      (text) => {
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
      },
      (error: unknown) => {
        const text = JSON.stringify({
          errors: [{ type: 'fatal', code: 'unknown', message: String(error) }],
        });
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
      },
    );
  });
}

const server = createServer(handle);
// Same as Node's defaults for the relay's Express server: long enough for autocannon's keep-alive.
server.keepAliveTimeout = 5_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(
    `${JSON.stringify({ baseline: 'ready', url: `http://127.0.0.1:${port}` })}\n`,
  );
});
const stop = (): void => {
  server.close();
  server.closeAllConnections();
  agent.destroy();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
