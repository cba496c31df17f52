// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import {
  IsBoolean,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';

export class TriggerRunDto {
  @IsOptional()
  @IsISO8601(
    { strict: true },
    { message: 'logicalDate must be an ISO 8601 instant, e.g. 2026-04-25T00:00:00Z' },
  )
  logicalDate?: string;

  @IsOptional()
  @IsObject({ message: 'conf must be a JSON object' })
  conf?: Record<string, unknown>;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:+-]{1,250}$/, {
    message: 'runId may use letters, digits and _ . : + - (at most 250)',
  })
  runId?: string;

  @IsOptional()
  @IsString({ message: 'idempotencyKey must be a string, e.g. "order-42"' })
  @Length(1, 250, { message: 'idempotencyKey must be 1 to 250 characters' })
  idempotencyKey?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}

export class PatchDagDto {
  @IsBoolean({ message: 'isPaused must be true or false' })
  isPaused!: boolean;
}

export class ClearTaskInstanceDto {
  @IsOptional()
  @IsBoolean({ message: 'downstream must be true or false' })
  downstream?: boolean;
}
