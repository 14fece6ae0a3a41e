/**
 * What the verified JWT says about one request: whose Qualys credentials to
 * use and where. Built by the guard, attached to that request only, and passed
 * explicitly to services, so concurrent callers never see each other's values.
 */
export interface QualysCredentials {
  user: string;
  pass: string;
}

export interface RelayContext {
  credentials: QualysCredentials;
  /** Qualys gateway base URL, validated, without a trailing slash. */
  apiUrl: string;
  /** Qualys console base URL, validated, without a trailing slash. */
  platformUrl: string;
  /** Spec §5: per-observable cap on sightings, indicators and judgements. */
  entitiesLimit: number;
}
