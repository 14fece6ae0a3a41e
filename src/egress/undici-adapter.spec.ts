import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import axios from 'axios';
import type { Dispatcher } from 'undici';
import { BodyTooLargeError } from './egress-axios.js';
import { undiciAdapter } from './undici-adapter.js';

/** A dispatcher that answers every call with `answer` and records what it was asked. */
function answering(answer: { status: number; headers?: Record<string, string>; body: Buffer }) {
  const calls: Dispatcher.RequestOptions[] = [];
  const dispatcher = {
    request: (options: Dispatcher.RequestOptions) => {
      calls.push(options);
      return Promise.resolve({
        statusCode: answer.status,
        headers: answer.headers ?? {},
        body: Readable.from([answer.body]),
      });
    },
  } as unknown as Dispatcher;
  const instance = axios.create({
    adapter: undiciAdapter(dispatcher),
    validateStatus: null,
    transformRequest: [],
    transformResponse: [],
  });
  return { calls, instance };
}

describe('undiciAdapter', () => {
  it('sends method, path with query, headers, body and signal through the dispatcher', async () => {
    const { calls, instance } = answering({ status: 201, body: Buffer.from('made') });
    const signal = new AbortController().signal;
    const response = await instance.request<string>({
      method: 'POST',
      url: 'https://gateway.example.test:8443/auth?x=1',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      data: 'user=a',
      signal,
    });
    expect([response.status, response.data]).toEqual([201, 'made']);
    expect(calls).toEqual([
      {
        origin: 'https://gateway.example.test:8443',
        path: '/auth?x=1',
        method: 'POST',
        headers: expect.objectContaining({ 'Content-Type': 'application/x-www-form-urlencoded' }),
        body: 'user=a',
        signal,
      },
    ]);
  });

  it('resolves every status and decodes gzip, capping the decoded bytes', async () => {
    const text = 'x'.repeat(10_000);
    const gzip = { 'content-encoding': 'gzip' };
    const { instance } = answering({ status: 500, headers: gzip, body: gzipSync(text) });
    const response = await instance.request<string>({ url: 'https://q.example.test/e' });
    expect([response.status, response.data, response.headers['content-encoding']]).toEqual([
      500,
      text,
      'gzip',
    ]);
    await expect(
      instance.request({ url: 'https://q.example.test/e', maxContentLength: 9_999 }),
    ).rejects.toEqual(new BodyTooLargeError(9_999));
  });

  it('drops a UTF-8 byte order mark', async () => {
    const { instance } = answering({ status: 200, body: Buffer.from('\ufeff[]') });
    expect((await instance.request<string>({ url: 'https://q.example.test/e' })).data).toBe('[]');
  });
});
