// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidationOptions,
  isISO8601,
} from 'class-validator';
import {
  BACKFILL_REPROCESS,
  BACKFILL_STATES,
  BackfillReprocess,
  BackfillState,
  ID_PATTERN,
} from '@tributary/domain';
import { BACKFILL_DEFAULT_MAX_ACTIVE_RUNS } from '@tributary/scheduler';
import { PageQuery } from './pagination';

export const BACKFILL_MAX_ACTIVE_RUNS_LIMIT = 100;

/** A date (2026-04-01), a local date-time (2026-04-01T06:00) or an instant (2026-04-01T06:00:00Z). */
const DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

function IsLogicalDate(
  field: 'from' | 'to',
  example: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLogicalDate',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && DATE_OR_INSTANT.test(value) && isISO8601(value, { strict: true }),
        defaultMessage: (args) =>
          args?.value === undefined
            ? `${field} is required: an ISO 8601 date (${example}) or instant (${example}T00:00:00Z)`
            : `${field} must be an ISO 8601 date (${example}) or instant (${example}T00:00:00Z); got ${JSON.stringify(args.value)}`,
      },
    },
    options,
  );
}

const MAX_ACTIVE_RUNS_MESSAGE = `maxActiveRuns must be a whole number from 1 to ${BACKFILL_MAX_ACTIVE_RUNS_LIMIT}`;

export class CreateBackfillDto {
  @ApiProperty({
    example: '2026-04-01',
    description:
      "First logical date (inclusive). A date or local time is read in the DAG's timezone; an instant as given.",
  })
  @IsLogicalDate('from', '2026-04-01')
  from!: string;

  @ApiProperty({ example: '2026-04-10', description: 'Last logical date (inclusive), read like `from`.' })
  @IsLogicalDate('to', '2026-04-10')
  to!: string;

  @ApiPropertyOptional({
    enum: BACKFILL_REPROCESS,
    default: 'none',
    description: 'none: fill only dates without a run; failed: also rerun failed runs; all: rerun every run',
  })
  @IsOptional()
  @IsIn(BACKFILL_REPROCESS, { message: `reprocess must be one of ${BACKFILL_REPROCESS.join(', ')}` })
  reprocess?: BackfillReprocess;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: BACKFILL_MAX_ACTIVE_RUNS_LIMIT,
    default: BACKFILL_DEFAULT_MAX_ACTIVE_RUNS,
    description: "Runs of this backfill at once, besides (never instead of) the DAG's own runs",
  })
  @IsOptional()
  @IsInt({ message: MAX_ACTIVE_RUNS_MESSAGE })
  @Min(1, { message: MAX_ACTIVE_RUNS_MESSAGE })
  @Max(BACKFILL_MAX_ACTIVE_RUNS_LIMIT, { message: MAX_ACTIVE_RUNS_MESSAGE })
  maxActiveRuns?: number;

  @ApiPropertyOptional({ default: false, description: 'Newest logical date first' })
  @IsOptional()
  @IsBoolean({ message: 'reverse must be true or false' })
  reverse?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: 'Answer what each date would get (create, rerun or skip) and change nothing',
  })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}

export class ListBackfillsQuery extends PageQuery {
  @ApiPropertyOptional({ description: "only this DAG's backfills" })
  @IsOptional()
  @Matches(ID_PATTERN, { message: "dagId must be an id of letters, digits, '_', '-' or '.'" })
  dagId?: string;

  @ApiPropertyOptional({ enum: BACKFILL_STATES })
  @IsOptional()
  @IsIn(BACKFILL_STATES, { message: `state must be one of ${BACKFILL_STATES.join(', ')}` })
  state?: BackfillState;
}
