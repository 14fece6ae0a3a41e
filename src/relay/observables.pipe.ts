import { Injectable, type PipeTransform } from '@nestjs/common';
import { validateSync } from 'class-validator';
import type { Observable } from '../common/observable.js';
import { ConfigService } from '@nestjs/config';
import { InvalidArgumentError } from '../common/relay-error.js';
import type { RelaySettings } from '../config/config.module.js';
import type { RelayConfig } from '../config/relay-config.js';
import { ObservableDto } from './dto/observable.dto.js';

/** At most this many item problems are listed in one error message. */
const MAX_REPORTED_PROBLEMS = 5;

/**
 * Validates an observables array body (spec §2) with the `ObservableDto`
 * rules. Nest's `ValidationPipe` cannot validate a top-level array, so this
 * pipe applies the same class-validator metadata item by item and names the
 * offending items. Unknown extra keys are dropped, not rejected.
 *
 * Without class-transformer, on purpose: `plainToInstance` (what
 * `ValidationPipe({ transform: true })` calls) copies every key of the body
 * recursively, so an attacker's deeply nested extra key overflowed the stack,
 * and the DTO has nothing to transform — two strings, no dates, no nesting.
 * The pipe builds the `ObservableDto` from the two fields it validates.
 */
@Injectable()
export class ObservablesPipe implements PipeTransform<unknown, Observable[]> {
  private readonly config: RelayConfig;

  constructor(settings: ConfigService<RelaySettings, true>) {
    this.config = settings.get('relay', { infer: true });
  }

  transform(body: unknown): Observable[] {
    if (!Array.isArray(body)) {
      throw new InvalidArgumentError('The request body must be a JSON array of observables.');
    }
    if (body.length > this.config.maxObservables) {
      throw new InvalidArgumentError(
        `At most ${this.config.maxObservables} observables are accepted per request; got ${body.length}.`,
      );
    }
    const problems: string[] = [];
    const observables = body.map((item: unknown, index) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        problems.push(`[${index}] must be an object with type and value`);
        return undefined;
      }
      // Only the two validated fields are copied: class-transformer would walk
      // every extra key, and a deeply nested one overflowed the stack.
      const { type, value } = item as Record<string, unknown>;
      const dto = Object.assign(new ObservableDto(), { type, value });
      const errors = validateSync(dto, { whitelist: true, stopAtFirstError: true });
      for (const error of errors) {
        for (const message of Object.values(error.constraints ?? {}))
          problems.push(`[${index}].${message}`);
      }
      return { type: dto.type, value: dto.value };
    });
    if (problems.length > 0) {
      const more =
        problems.length > MAX_REPORTED_PROBLEMS
          ? ` (and ${problems.length - MAX_REPORTED_PROBLEMS} more)`
          : '';
      throw new InvalidArgumentError(
        `${problems.slice(0, MAX_REPORTED_PROBLEMS).join('; ')}${more}`,
      );
    }
    return observables as Observable[];
  }
}
