import { ErrorCode, RelayError } from '../common/relay-error.js';

/** Three base64url segments joined by dots: the shape of a real Qualys token (spec §7). */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * The token in the body of a 2xx `POST /auth` answer. Anything that is not
 * JWT-shaped — an HTML page from a captive portal or a misrouted proxy, an
 * empty body, a JSON error with a 200 — is refused with `unknown`, so it is
 * never cached and sent as a bearer token for four hours.
 */
export function tokenFromAuthAnswer(body: string): string {
  const token = body.trim();
  if (!JWT_SHAPE.test(token)) {
    throw new RelayError(ErrorCode.UNKNOWN, 'Unexpected response from Qualys IOC authentication');
  }
  return token;
}
