import { describe, expect, it } from '@jest/globals';
import { AxiosError } from 'axios';
import { Agent } from 'undici';
import {
  BodyTooLargeError,
  egressAxiosDefaults,
  readText,
  transportCause,
} from './egress-axios.js';

/** A body as fetch hands it over, in the given chunks. */
function streamOf(...chunks: string[]): {
  body: ReadableStream<Uint8Array>;
  cancelled: () => boolean;
} {
  let cancelled = false;
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === chunks.length) controller.close();
      else controller.enqueue(new TextEncoder().encode(chunks[next++]));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, cancelled: () => cancelled };
}

describe('egressAxiosDefaults', () => {
  it('sends through the dispatcher with fetch, follows no redirect and leaves statuses and bodies to the caller', () => {
    const dispatcher = new Agent();
    const defaults = egressAxiosDefaults(dispatcher);
    expect({
      adapter: defaults.adapter,
      fetchOptions: defaults.fetchOptions,
      maxRedirects: defaults.maxRedirects,
      validateStatus: defaults.validateStatus,
      responseType: defaults.responseType,
      transformRequest: defaults.transformRequest,
      transformResponse: defaults.transformResponse,
      headers: defaults.headers,
    }).toEqual({
      adapter: 'fetch',
      fetchOptions: { dispatcher },
      maxRedirects: 0,
      validateStatus: null,
      responseType: 'stream',
      transformRequest: [],
      transformResponse: [],
      headers: { common: { Accept: '*/*' } },
    });
    expect(egressAxiosDefaults().fetchOptions).toEqual({});
  });
});

describe('readText', () => {
  it('joins the chunks as UTF-8 and drops a BOM', async () => {
    expect(await readText(streamOf('\ufeff[{"a":', '"é"}]').body, 100)).toBe('[{"a":"é"}]');
    expect(await readText(streamOf().body, 100)).toBe('');
    expect(await readText(null, 100)).toBe('');
  });

  it('accepts exactly the cap, and refuses one byte more, cancelling the stream', async () => {
    expect(await readText(streamOf('12345', '67890').body, 10)).toBe('1234567890');
    const over = streamOf('12345', '678901', 'never read');
    await expect(readText(over.body, 10)).rejects.toEqual(new BodyTooLargeError(10));
    expect(over.cancelled()).toBe(true);
  });
});

describe('transportCause', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
    code: 'ECONNREFUSED',
  });

  it("unwraps axios's Network Error and fetch's `fetch failed`", () => {
    const network = AxiosError.from(new TypeError('fetch failed', { cause: refused }));
    expect(transportCause(new AxiosError('Network Error', 'ERR_NETWORK'))).toBeInstanceOf(
      AxiosError,
    );
    expect(transportCause(network)).toBe(refused);
  });

  it("reaches the proxy's refusal below undici's `Request was cancelled.`", () => {
    const proxy = Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), {
      code: 'UND_ERR_ABORTED',
    });
    const cancelled = new Error('Request was cancelled.', { cause: proxy });
    const error = AxiosError.from(new TypeError('fetch failed', { cause: cancelled }));
    expect(transportCause(error)).toBe(proxy);
  });

  it('leaves an error that is not wrapped as it is', () => {
    expect(transportCause(refused)).toBe(refused);
    expect(transportCause(undefined)).toBeUndefined();
  });
});
