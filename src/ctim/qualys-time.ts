/**
 * Spec §5: `observed_time` is "normalised to UTC ISO-8601 with milliseconds
 * and `Z` (Qualys sends `2024-05-14T09:12:44.000+0000`; CTIM wants
 * `2024-05-14T09:12:44.000Z`)".
 */

/**
 * An ISO-8601 date-time as Qualys writes it: `T` (or a space) between date and
 * time, optional fraction of any precision, and an offset written `Z`,
 * `+HH:MM`, `+HHMM` or `+HH`. Without an offset the time is read as UTC,
 * which is what the Qualys API serves.
 */
const QUALYS_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const MS_PER_MINUTE = 60_000;

/** Spec §5: what Qualys sends, `2024-05-14T09:12:44.000+0000`. */
const QUALYS_CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

/**
 * Normalises a Qualys time to `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC); `undefined`
 * when the value is not such a time or names an impossible date (Feb 30,
 * 25:00 …). Digits past the millisecond are cut, not rounded, so a time never
 * moves into the next second.
 */
export function normaliseQualysTime(raw: unknown): string | undefined {
  if (typeof raw !== 'string') {
    return undefined;
  }
  // Fast path for the form Qualys always sends, already UTC with milliseconds:
  // only the offset is rewritten. A date that does not survive the round trip
  // through Date (Feb 30, 24:00, year 0999 …) takes the general path below,
  // which decides. (The general path was 13% of the mapper's time, bench/.)
  if (QUALYS_CANONICAL.test(raw) && raw[0] !== '0') {
    const iso = `${raw.slice(0, 23)}Z`;
    const ms = Date.parse(iso);
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === iso) {
      return iso;
    }
  }
  const match = QUALYS_TIME.exec(raw.trim());
  if (match === null) {
    return undefined;
  }
  const [, year, month, day, hour, minute, second = '0', fraction = '', zone = 'Z'] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = fields;
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, s, millis));
  // Date.UTC silently rolls Feb 30 into March: reject any field that moved.
  const rolled =
    local.getUTCFullYear() !== y ||
    local.getUTCMonth() !== mo - 1 ||
    local.getUTCDate() !== d ||
    local.getUTCHours() !== h ||
    local.getUTCMinutes() !== mi ||
    local.getUTCSeconds() !== s;
  // Date.UTC maps years 0–99 to 1900–1999; such years never come from Qualys.
  if (rolled || y < 1000) {
    return undefined;
  }
  const offset = offsetMinutes(zone);
  if (offset === undefined) {
    return undefined;
  }
  const utc = new Date(local.getTime() - offset * MS_PER_MINUTE);
  const year4 = utc.getUTCFullYear();
  // toISOString writes years past 9999 as "+010000": not an ISO-8601 instant CTIM takes.
  return year4 <= 9999 ? utc.toISOString() : undefined;
}

/** An instant of the relay's own clock (epoch ms) in the same form: UTC, milliseconds, `Z`. */
export function ctimTimeOf(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** Minutes east of UTC for `Z`, `+HH`, `+HHMM`, `+HH:MM`; `undefined` when out of range. */
function offsetMinutes(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') {
    return 0;
  }
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) {
    return undefined;
  }
  return sign * (hours * 60 + minutes);
}
