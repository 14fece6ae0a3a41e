import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString } from 'class-validator';

/**
 * One observable of a relay request body (spec §2). The same class drives
 * validation and the OpenAPI schema, so the docs cannot drift from the rules.
 */
export class ObservableDto {
  @ApiProperty({ description: 'Observable type (md5, sha256, file_name, file_path, ip, domain, mutex; others are skipped)', example: 'sha256' })
  @IsString({ message: 'type must be a string' })
  @IsNotEmpty({ message: 'type must not be empty' })
  type!: string;

  @ApiProperty({ description: 'Observable value', example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })
  @IsString({ message: 'value must be a string' })
  @IsNotEmpty({ message: 'value must not be empty' })
  value!: string;
}
