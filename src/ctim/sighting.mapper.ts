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
import { normaliseQualysTime } from './qualys-time.js';
import { normaliseScore, severityOfScore } from './tables.js';
import { randomTransientId } from './transient-id.js';

/** One row of the spec §5 relations table: `[type, block, field]` for each side. */
interface RelationRule {
  readonly source: readonly [type: string, block: string, field: string];
  readonly relation: string;
  readonly related: readonly [type: string, block: string, field: string];
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

/** Spec §5 `targets`: the one endpoint the event happened on. */
function targetOf(event: QualysEvent, time: string): Target {
  const asset = readField(event, 'asset');
  const observables: Observable[] = [];
  const hostname = readString(asset, 'netBiosName');
  if (hostname !== undefined) {
    observables.push(ctimObservable('hostname', hostname));
  }
  for (const iface of readObjectList(asset, 'interfaces')) {
    const ip = readString(iface, 'ipAddress');
    if (ip !== undefined) {
      observables.push(ctimObservable('ip', ip));
    }
    const mac = readString(iface, 'macAddress');
    if (mac !== undefined) {
      observables.push(ctimObservable('mac_address', mac));
    }
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

/** Spec §5 `relations`: each rule that finds both of its values. */
function relationsOf(event: QualysEvent): ObservedRelation[] {
  const relations: ObservedRelation[] = [];
  for (const { source, relation, related } of RELATION_RULES) {
    const sourceValue = readString(readField(event, source[1]), source[2]);
    const relatedValue = readString(readField(event, related[1]), related[2]);
    if (sourceValue !== undefined && relatedValue !== undefined) {
      relations.push({
        origin: RELATION_ORIGIN,
        relation,
        source: ctimObservable(source[0], sourceValue),
        related: ctimObservable(related[0], relatedValue),
      });
    }
  }
  return relations;
}

/** Spec §5 `data`: one-column `Active` table, `"True"` for the active search. */
function activeTable(active: boolean): SightingDataTable {
  return {
    columns: [{ name: 'Active', type: 'string' }],
    rows: [[active ? 'True' : 'False']],
    row_count: 1,
  };
}
