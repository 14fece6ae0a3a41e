import axios, {
  AxiosError,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import type { Dispatcher } from 'undici';

/**
 * An axios adapter over an undici dispatcher: `@nestjs/axios` stays the
 * Qualys client provider (and axios its request model), while the bytes go
 * through undici's connection pools. Axios's own node adapter cost ~0.3 ms
 * of CPU and 80–95 KB of garbage per call (streams, follow-redirects, its
 * socket bookkeeping) — most of the relay's overhead under load (bench/).
 *
 * What the relay relies on, and this adapter keeps: the caller's abort
 * signal (timeouts and abandonment), `maxContentLength` counted on the
 * decoded body, `responseType: 'text'`, `validateStatus`, no redirects, and
 * transport failures as `AxiosError`s carrying the cause's code (TLS codes
 * tell certificate problems from connection failures).
 */
export function createUndiciAdapter(dispatcher: Dispatcher): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    const url = new URL(axios.getUri(config));
    const method = (config.method ?? 'get').toUpperCase() as Dispatcher.HttpMethod;
    const headers = config.headers.toJSON(true) as Record<string, string>;
    const data: unknown = config.data;
    if (data !== undefined && data !== null && typeof data !== 'string') {
      throw new AxiosError('the undici adapter sends string bodies only', AxiosError.ERR_BAD_REQUEST, config);
    }
    if (config.signal?.aborted) throw canceled(config);

    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        body: data ?? undefined,
        signal: config.signal as AbortSignal | undefined,
      });
    } catch (error) {
      throw config.signal?.aborted ? canceled(config) : transportError(error, config);
    }

    let text: string;
    try {
      text = await readText(response.body, config.maxContentLength ?? -1);
    } catch (error) {
      response.body.destroy();
      if (error instanceof AxiosError) {
        error.config = config;
        throw error;
      }
      throw config.signal?.aborted ? canceled(config) : transportError(error, config);
    }

    const result: AxiosResponse<string> = {
      data: text,
      status: response.statusCode,
      statusText: '',
      headers: response.headers as AxiosResponse['headers'],
      config,
      request: undefined,
    };
    const valid = config.validateStatus ?? ((status: number) => status >= 200 && status < 300);
    if (!valid(result.status)) {
      throw new AxiosError(
        `Request failed with status code ${result.status}`,
        result.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
        config,
        undefined,
        result,
      );
    }
    return result;
  };
}

/** The body as UTF-8 text, refusing more than `max` bytes (-1: no cap). */
async function readText(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (max > -1 && length > max) {
      throw new AxiosError(`maxContentLength size of ${max} exceeded`, AxiosError.ERR_BAD_RESPONSE, undefined, undefined, undefined);
    }
    chunks.push(chunk);
  }
  const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length)).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a BOM is not content
}

function canceled(config: InternalAxiosRequestConfig): AxiosError {
  return new axios.CanceledError(undefined, undefined, config);
}

/** A failure below HTTP as an `AxiosError` with the cause's code (ECONNREFUSED, a TLS code …). */
function transportError(error: unknown, config: InternalAxiosRequestConfig): AxiosError {
  const cause = error instanceof Error ? error : new Error(String(error));
  const code = (cause as { code?: unknown }).code;
  const wrapped = new AxiosError(cause.message, typeof code === 'string' ? code : undefined, config);
  wrapped.cause = cause;
  return wrapped;
}
