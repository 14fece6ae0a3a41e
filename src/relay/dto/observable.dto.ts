import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsNotEmpty, IsString } from 'class-validator';

/**
 * One observable of a relay request body (spec §2). The same class drives
 * validation and the OpenAPI schema, so the docs cannot drift from the rules.
 */
export class ObservableDto {
  @ApiProperty({ description: 'Observable type (md5, sha256, file_name, file_path, ip, domain, mutex; others are skipped)', example: 'sha256' })
  // class-validator runs these bottom-up; with stopAtFirstError the first
  // failing rule names the problem.
  @IsNotEmpty({ message: 'type must not be empty' })
  @IsString({ message: 'type must be a string' })
  @IsDefined({ message: 'type is required' })
  type!: string;

  @ApiProperty({ description: 'Observable value', example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })
  @IsNotEmpty({ message: 'value must not be empty' })
  @IsString({ message: 'value must be a string' })
  @IsDefined({ message: 'value is required' })
  value!: string;
}
