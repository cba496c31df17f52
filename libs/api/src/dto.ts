// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  Min,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { RUN_STATES, RUN_TYPES } from '@tributary/domain';
import { MAX_PAGE, PageQuery } from './pagination';

/** `?flag=true|false` arrives as text: the words become booleans, anything else stays and fails @IsBoolean. */
const booleanWord = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

const TASK_ID = /^[A-Za-z0-9_.-]{1,250}$/;

/** What is wrong with a list of task ids (one message), or null. */
function taskIdListProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'taskIds must be a list of task ids, e.g. ["transform"]';
  if (value.length === 0) return 'taskIds must name at least one task';
  if (value.length > MAX_PAGE) return `taskIds may name at most ${MAX_PAGE} tasks`;
  const bad = value.find((t) => typeof t !== 'string' || !TASK_ID.test(t));
  return bad === undefined
    ? null
    : `taskIds must hold task ids (letters, digits, _ . -); ${JSON.stringify(bad)} is not one`;
}

function IsTaskIdList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTaskIdList',
      validator: {
        validate: (value: unknown) => taskIdListProblem(value) === null,
        defaultMessage: (args) => taskIdListProblem(args?.value) ?? 'taskIds is invalid',
      },
    },
    options,
  );
}

// ---- DAGs ----

export class ListDagsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'only paused (true) or only unpaused (false) DAGs' })
  @IsOptional()
  @Transform(booleanWord)
  @IsBoolean({ message: 'paused must be true or false' })
  paused?: boolean;

  @ApiPropertyOptional({ description: 'only DAGs with this tag', example: 'finance' })
  @IsOptional()
  @IsString({ message: 'tag must be a tag name, e.g. finance' })
  @Length(1, 200, { message: 'tag must be 1 to 200 characters' })
  tag?: string;

  @ApiPropertyOptional({ description: 'only DAGs whose id contains this text (any case)', example: 'orders' })
  @IsOptional()
  @IsString({ message: 'q must be text to look for in DAG ids, e.g. orders' })
  @Length(1, 200, { message: 'q must be 1 to 200 characters' })
  q?: string;
}

export class PatchDagDto {
  @ApiProperty({ description: 'true pauses the DAG (no new runs); false unpauses it' })
  @IsBoolean({ message: 'isPaused must be true or false' })
  isPaused!: boolean;
}

export const DEFAULT_GRID_RUNS = 25;

/** `limit` (1..1000, default 25 runs) and `offset`, newest run first. */
export class GridQuery extends PageQuery {}

// ---- runs ----

export class TriggerRunDto {
  @ApiPropertyOptional({
    description: 'the logical date of the run (default: now)',
    example: '2026-04-25T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601(
    { strict: true },
    { message: 'logicalDate must be an ISO 8601 instant, e.g. 2026-04-25T00:00:00Z' },
  )
  logicalDate?: string;

  @ApiPropertyOptional({
    description: 'parameters the tasks read (ctx.conf)',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject({ message: 'conf must be a JSON object' })
  conf?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'the run id (default: manual__<logicalDate>)',
    example: 'manual__reprocess-orders',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:+-]{1,250}$/, {
    message: 'runId may use letters, digits and _ . : + - (at most 250)',
  })
  runId?: string;

  @ApiPropertyOptional({
    description: 'a repeat with the same key answers the first run id (200 duplicate) and creates nothing',
    example: 'order-42',
  })
  @IsOptional()
  @IsString({ message: 'idempotencyKey must be a string, e.g. "order-42"' })
  @Length(1, 250, { message: 'idempotencyKey must be 1 to 250 characters' })
  idempotencyKey?: string;

  @ApiPropertyOptional({ description: 'why the run was triggered (kept on the run)', maxLength: 2000 })
  @IsOptional()
  @IsString({ message: 'note must be text' })
  @MaxLength(2000, { message: 'note must be at most 2000 characters' })
  note?: string;
}

export class ListRunsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RUN_STATES, description: 'only runs in this state' })
  @IsOptional()
  @IsIn(RUN_STATES, { message: `state must be one of ${RUN_STATES.join(', ')}` })
  state?: string;

  @ApiPropertyOptional({ enum: RUN_TYPES, description: 'only runs of this type' })
  @IsOptional()
  @IsIn(RUN_TYPES, { message: `runType must be one of ${RUN_TYPES.join(', ')}` })
  runType?: string;
}

export class ListAllRunsQuery extends ListRunsQuery {
  @ApiPropertyOptional({ description: 'only runs of this DAG', example: 'orders_daily' })
  @IsOptional()
  @IsString({ message: 'dagId must be a DAG id, e.g. orders_daily' })
  @Length(1, 250, { message: 'dagId must be 1 to 250 characters' })
  dagId?: string;
}

// ---- task instances ----

export class LogsQuery {
  @ApiPropertyOptional({ minimum: 1, description: "the try's logs (default: the latest try)" })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'try must be a try number: a whole number, 1 or more' })
  @Min(1, { message: 'try must be a try number: a whole number, 1 or more' })
  try?: number;
}

export class ClearTaskInstanceDto {
  @ApiPropertyOptional({
    default: false,
    description: 'also clear every task after the cleared ones that has run (they must run again)',
  })
  @IsOptional()
  @IsBoolean({ message: 'downstream must be true or false' })
  downstream?: boolean;

  @ApiPropertyOptional({
    default: true,
    description:
      'clear only the named tasks that failed (failed / upstream_failed); false also clears finished ' +
      'or retrying ones. A queued or running task instance is never cleared.',
  })
  @IsOptional()
  @IsBoolean({ message: 'onlyFailed must be true or false' })
  onlyFailed?: boolean;

  @ApiPropertyOptional({ default: false, description: 'answer what would be cleared, change nothing' })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}

export class ClearRunDto extends ClearTaskInstanceDto {
  @ApiProperty({ type: [String], description: 'the tasks to clear', example: ['transform'] })
  @IsTaskIdList()
  taskIds!: string[];
}

export const MARK_STATES = ['success', 'failed'] as const;

export class MarkTaskInstanceDto {
  @ApiProperty({ enum: MARK_STATES, description: 'the state to set, whatever the task did' })
  @IsIn(MARK_STATES, { message: `state must be one of ${MARK_STATES.join(', ')}` })
  state!: (typeof MARK_STATES)[number];
}
