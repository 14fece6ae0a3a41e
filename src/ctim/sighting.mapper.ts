/**
 * Spec §5 "Sighting (one per event)".
 */
import { Injectable } from '@nestjs/common';
import type { Observable } from '../common/observable.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import { copyObservable, ctimObservable } from './ctim-observable.js';
import { truncateLong } from './ctim-strings.js';
import {
  CTIM_SCHEMA_VERSION,
  CTIM_SOURCE,
  type ObservedRelation,
  type ObservedTime,
  type Sighting,
  type SightingDataTable,
  type Target,
} from './ctim.types.js';
import { readField, readObjectList, readString } from './event-fields.js';
import type { MappingContext } from './mapping-context.js';
import { isValidObservableValue, type EmittedObservableType } from './observable-values.js';
import { normaliseQualysTime } from './qualys-time.js';
import { normaliseScore, severityOfScore } from './tables.js';
import { randomTransientId } from './transient-id.js';

/** Where one side of a relation comes from: its type, then the event's block and field. */
type RelationEnd = readonly [type: EmittedObservableType, block: string, field: string];

/** One row of the spec §5 relations table. */
interface RelationRule {
  readonly source: RelationEnd;
  readonly relation: string;
  readonly related: RelationEnd;
}

/** Spec §5 relations table, in the table's order (the output keeps it). */
const RELATION_RULES: readonly RelationRule[] = [
  {
    source: ['file_name', 'file', 'fileName'],
    relation: 'File_Name_Of',
    related: ['sha256', 'file', 'sha256'],
  },
  {
    source: ['file_name', 'file', 'fileName'],
    relation: 'File_Name_Of',
    related: ['md5', 'file', 'md5'],
  },
  {
    source: ['file_path', 'file', 'fullPath'],
    relation: 'File_Path_Of',
    related: ['sha256', 'file', 'sha256'],
  },
  {
    source: ['file_path', 'file', 'fullPath'],
    relation: 'File_Path_Of',
    related: ['md5', 'file', 'md5'],
  },
  {
    source: ['file_name', 'process', 'processName'],
    relation: 'Connected_To',
    related: ['ip', 'network', 'remoteIP'],
  },
  {
    source: ['file_name', 'process', 'processName'],
    relation: 'Connected_To',
    related: ['domain', 'network', 'remoteDns'],
  },
  {
    source: ['ip', 'network', 'remoteIP'],
    relation: 'Resolved_To',
    related: ['domain', 'network', 'remoteDns'],
  },
];

/** Spec §5: the sighting's relations carry `origin` `Qualys IOC`. */
const RELATION_ORIGIN = CTIM_SOURCE;

/** Spec §5 `sensor` and `targets[].type`. */
const ENDPOINT = 'endpoint';

/** Spec §15: a sighting's target carries at most this many observables. */
const MAX_TARGET_OBSERVABLES = 64;

@Injectable()
export class SightingMapper {
  map(event: QualysEvent, ctx: MappingContext): Sighting {
    const eventId = readString(event, 'id');
    const time = observedTimeOf(event, ctx.now);
    return {
      id: randomTransientId('sighting'),
      type: 'sighting',
      schema_version: CTIM_SCHEMA_VERSION,
      source: CTIM_SOURCE,
      confidence: 'High',
      count: 1,
      sensor: ENDPOINT,
      external_ids: eventId === undefined ? [] : [eventId],
      external_references: [],
      observables: [copyObservable(ctx.observable)],
      observed_time: instant(time),
      description: truncateLong(`A Qualys IOC event related to "${ctx.observable.value}"`),
      severity: severityOfScore(normaliseScore(readField(event, 'score'))),
      targets: [targetOf(event, time)],
      relations: relationsOf(event),
      data: activeTable(ctx.active),
    };
  }
}

/**
 * Spec §5: the event's `dateTime`, normalised. CTIM requires an observed_time,
 * so an event without a usable `dateTime` is dated with the request's clock
 * rather than dropped or sent with an invalid time.
 */
function observedTimeOf(event: QualysEvent, now: Date): string {
  return normaliseQualysTime(readField(event, 'dateTime')) ?? now.toISOString();
}

/** Spec §5: `start_time` = `end_time`. A fresh object per use: no shared references. */
function instant(time: string): ObservedTime {
  return { start_time: time, end_time: time };
}

/**
 * Spec §5 `targets`: the one endpoint the event happened on, with its
 * hostname, then each interface's IP and MAC address. Spec §15: only values
 * valid for their type, at most `MAX_TARGET_OBSERVABLES` of them.
 */
function targetOf(event: QualysEvent, time: string): Target {
  const asset = readField(event, 'asset');
  const observables: Observable[] = [];
  const add = (type: EmittedObservableType, value: string | undefined): void => {
    if (observables.length >= MAX_TARGET_OBSERVABLES) return;
    const observable = typedObservable(type, value);
    if (observable !== undefined) observables.push(observable);
  };
  add('hostname', readString(asset, 'netBiosName'));
  for (const iface of readObjectList(asset, 'interfaces')) {
    if (observables.length >= MAX_TARGET_OBSERVABLES) break;
    add('ip', readString(iface, 'ipAddress'));
    add('mac_address', readString(iface, 'macAddress'));
  }
  const target: Target = {
    type: ENDPOINT,
    observables,
    observed_time: instant(time),
  };
  const os = readString(asset, 'fullOSName');
  if (os !== undefined) {
    target.os = os;
  }
  return target;
}

/** Spec §5 `relations`: each rule that finds both of its values, valid for their types (§15). */
function relationsOf(event: QualysEvent): ObservedRelation[] {
  const relations: ObservedRelation[] = [];
  for (const { source, relation, related } of RELATION_RULES) {
    const sourceObservable = relationEnd(event, source);
    const relatedObservable = relationEnd(event, related);
    if (sourceObservable !== undefined && relatedObservable !== undefined) {
      relations.push({
        origin: RELATION_ORIGIN,
        relation,
        source: sourceObservable,
        related: relatedObservable,
      });
    }
  }
  return relations;
}

function relationEnd(
  event: QualysEvent,
  [type, block, field]: RelationEnd,
): Observable | undefined {
  return typedObservable(type, readString(readField(event, block), field));
}

/** The observable of `type` for `value`, when there is one and it is valid for the type. */
function typedObservable(
  type: EmittedObservableType,
  value: string | undefined,
): Observable | undefined {
  return value !== undefined && isValidObservableValue(type, value)
    ? ctimObservable(type, value)
    : undefined;
}

/** Spec §5 `data`: one-column `Active` table, `"True"` for the active search. */
function activeTable(active: boolean): SightingDataTable {
  return {
    columns: [{ name: 'Active', type: 'string' }],
    rows: [[active ? 'True' : 'False']],
    row_count: 1,
  };
}
