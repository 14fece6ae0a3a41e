/**
 * The CTIM (schema 1.0.17) shapes the relay emits; see shared/docs/ctim.md.
 * Only the fields the relay produces are modelled.
 */
import type { Observable } from '../common/observable.js';

export const CTIM_SCHEMA_VERSION = '1.0.17';
export const CTIM_SOURCE = 'Qualys IOC';

export type Severity = 'Info' | 'Low' | 'Medium' | 'High' | 'None' | 'Unknown';
export type Confidence = Severity;

export interface ObservedTime {
  start_time: string;
  end_time?: string;
}

export interface ObservedRelation {
  origin: string;
  relation: string;
  source: Observable;
  related: Observable;
}

export interface Target {
  type: string;
  observables: Observable[];
  observed_time: ObservedTime;
  os?: string;
}

export interface SightingDataTable {
  columns: { name: string; type: 'string' }[];
  rows: string[][];
  row_count: number;
}

export interface Sighting {
  id: string;
  type: 'sighting';
  schema_version: string;
  source: string;
  confidence: Confidence;
  count: number;
  sensor: string;
  external_ids: string[];
  external_references: [];
  observables: Observable[];
  observed_time: ObservedTime;
  description: string;
  severity: Severity;
  targets: Target[];
  relations: ObservedRelation[];
  data: SightingDataTable;
}

export interface Indicator {
  id: string;
  type: 'indicator';
  schema_version: string;
  source: string;
  producer: string;
  confidence: Confidence;
  title?: string;
  severity: Severity;
  valid_time: Record<string, never>;
  external_ids: string[];
}

export type Disposition = 1 | 2 | 3 | 4 | 5;
export type DispositionName = 'Clean' | 'Malicious' | 'Suspicious' | 'Common' | 'Unknown';

export interface Judgement {
  id: string;
  type: 'judgement';
  schema_version: string;
  source: string;
  confidence: Confidence;
  priority: number;
  observable: Observable;
  severity: Severity;
  disposition: Disposition;
  disposition_name: DispositionName;
  reason: string;
  valid_time: Record<string, never>;
  external_ids: string[];
  external_references: [];
}

export type RelationshipType = 'based-on' | 'sighting-of';

export interface Relationship {
  id: string;
  type: 'relationship';
  schema_version: string;
  source: string;
  source_ref: string;
  target_ref: string;
  relationship_type: RelationshipType;
  external_ids: [];
}

/** ctim.md "Verdict": not a base entity, so no id, schema_version or source. */
export interface Verdict {
  type: 'verdict';
  observable: Observable;
  disposition: Disposition;
  disposition_name: DispositionName;
  valid_time: { start_time: string; end_time: string };
  /** The judgement the verdict rests on, when the answer carries judgements (`/observe`). */
  judgement_id?: string;
}

/** The entities found for one observable, already cut to the entity limit. */
export interface ObservationEntities {
  sightings: Sighting[];
  indicators: Indicator[];
  judgements: Judgement[];
  relationships: Relationship[];
}
