import { ApiProperty } from '@nestjs/swagger';
import {
  IsDefined,
  IsNotEmpty,
  IsString,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';

/** A UTF-16 surrogate without its pair: with the `u` flag, paired ones are one code point. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Spec §2: a string that is well-formed Unicode. A lone surrogate
 * (`"\ud800"` in JSON) cannot be URL- or UTF-8-encoded faithfully, so it would
 * otherwise fail later, far from the request, with a misleading error.
 */
function IsWellFormedString(options: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWellFormedString',
      validator: { validate: (value) => typeof value === 'string' && !LONE_SURROGATE.test(value) },
    },
    options,
  );
}

/**
 * One observable of a relay request body (spec §2). The same class drives
 * validation and the OpenAPI schema, so the docs cannot drift from the rules.
 */
export class ObservableDto {
  @ApiProperty({
    description:
      'Observable type (md5, sha256, file_name, file_path, ip, domain, mutex; others are skipped)',
    example: 'sha256',
  })
  // class-validator runs these bottom-up; with stopAtFirstError the first
  // failing rule names the problem.
  @IsWellFormedString({ message: 'type must be well-formed Unicode (no lone surrogates)' })
  @IsNotEmpty({ message: 'type must not be empty' })
  @IsString({ message: 'type must be a string' })
  @IsDefined({ message: 'type is required' })
  type!: string;

  @ApiProperty({
    description: 'Observable value',
    example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  })
  @IsWellFormedString({ message: 'value must be well-formed Unicode (no lone surrogates)' })
  @IsNotEmpty({ message: 'value must not be empty' })
  @IsString({ message: 'value must be a string' })
  @IsDefined({ message: 'value is required' })
  value!: string;
}
