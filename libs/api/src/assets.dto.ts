// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateBy,
  ValidationError,
  ValidationOptions,
  isISO8601,
  validateSync,
} from 'class-validator';
import {
  ASSET_NAME_PATTERN,
  AssetFreshnessDefinition,
  freshnessContractProblems,
  timezoneProblem,
} from '@tributary/domain';
import { ALERT_KINDS } from '@tributary/messaging';
import { validationFailed } from './http-errors';
import { PageQuery } from './pagination';

/** Field name → what is wrong with it and how to fix it (the `fields` of a 400). */
export type FieldErrors = Record<string, string[]>;

const ASSET_NAME_MESSAGE = (value: unknown) =>
  `invalid asset name '${String(value)}': use a non-empty name without spaces (at most 1000 characters), e.g. 'raw.events' or 's3://lake/raw'`;

/** A full instant: date, time and zone (a bare date is a partition, not an instant). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

export function isInstant(value: unknown): value is string {
  return typeof value === 'string' && INSTANT.test(value) && isISO8601(value, { strict: true });
}

function IsInstant(field: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => isInstant(value),
        defaultMessage: (args) =>
          `${field} must be an ISO 8601 instant with a time and zone, e.g. 2026-04-25T07:00:00Z (got ${JSON.stringify(args?.value)})`,
      },
    },
    options,
  );
}

function IsTimezone(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTimezone',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && timezoneProblem(value) === null,
        defaultMessage: (args) =>
          typeof args?.value === 'string'
            ? (timezoneProblem(args.value) as string)
            : `${args?.property} must be an IANA zone name such as 'America/Los_Angeles' or 'UTC'`,
      },
    },
    options,
  );
}

/** maxLag: a duration string ('2h', '30m') or milliseconds; its value is checked by the domain. */
function IsDurationInput(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDurationInput',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.trim() !== '') ||
          (typeof value === 'number' && Number.isFinite(value)),
        defaultMessage: () => `maxLag must be a duration such as '2h' or '30m', or a number of milliseconds`,
      },
    },
    options,
  );
}

// ---- bodies ----

/** A freshness contract: `{ by: '04:00', timezone, offsetDays }` or `{ maxLag: '2h' }`. */
export class FreshnessContractDto {
  @IsOptional()
  @IsString({ message: "by must be a wall-clock time as a string, e.g. '04:00'" })
  by?: string;

  @IsOptional()
  @IsString({ message: "timezone must be an IANA zone name, e.g. 'America/Los_Angeles'" })
  timezone?: string;

  @IsOptional()
  @Min(0, { message: 'offsetDays must be a whole number of days, 0 or more (default 1: partition D by D+1)' })
  @IsInt({ message: 'offsetDays must be a whole number of days, 0 or more (default 1: partition D by D+1)' })
  offsetDays?: number;

  @IsOptional()
  @IsDurationInput()
  maxLag?: string | number;
}

/** `POST /api/v1/assets`: registers (or updates) an asset from outside the DAG bundle. */
export class RegisterAssetDto {
  @Matches(ASSET_NAME_PATTERN, { message: (args) => ASSET_NAME_MESSAGE(args.value) })
  @IsString({ message: (args) => ASSET_NAME_MESSAGE(args.value) })
  name!: string;

  // Decorators run bottom-up and each field stops at its first error: the type check goes last.
  @IsOptional()
  @MaxLength(2000, { message: 'description must be at most 2000 characters' })
  @IsString({ message: 'description must be a string' })
  description?: string;

  /** The zone the asset's day partitions are read in (default: the contract's, else UTC). */
  @IsOptional()
  @IsTimezone()
  timezone?: string;

  /** Validated below, field by field (`freshness.by`, ...). */
  @IsOptional()
  @IsObject({
    message:
      "freshness must be an object, e.g. { by: '04:00', timezone: 'America/Los_Angeles' } or { maxLag: '2h' }",
  })
  freshness?: FreshnessContractDto;
}

export class DataIntervalDto {
  @IsInstant('dataInterval.start')
  start!: string;

  @IsInstant('dataInterval.end')
  end!: string;
}

/** `POST /api/v1/assets/events`: "asset X was updated" from an outside system. */
export class PublishAssetEventDto {
  @Matches(ASSET_NAME_PATTERN, { message: (args) => ASSET_NAME_MESSAGE(args.value) })
  @IsString({ message: (args) => ASSET_NAME_MESSAGE(args.value) })
  asset!: string;

  /** Usually a day, e.g. '2026-04-25'. */
  @IsOptional()
  @MaxLength(1000, { message: 'partition must be at most 1000 characters' })
  @IsNotEmpty({ message: 'partition must not be empty; leave it out for an unpartitioned event' })
  @IsString({ message: "partition must be a string, e.g. '2026-04-25'" })
  partition?: string;

  @IsOptional()
  @IsObject({ message: 'metadata must be a JSON object' })
  metadata?: Record<string, unknown>;

  /** Validated below (`dataInterval.start`, `dataInterval.end`). */
  @IsOptional()
  @IsObject({
    message:
      "dataInterval must be an object { start, end } of ISO 8601 instants, e.g. { start: '2026-04-25T07:00:00Z', end: '2026-04-26T07:00:00Z' }",
  })
  dataInterval?: DataIntervalDto;
}

/**
 * Validates a body against its DTO like the global pipe does (unknown fields and bad values
 * are errors), and also its nested objects, naming their fields with a path
 * (`freshness.by`), plus the domain's own checks. Throws one 400 listing every field.
 */
export function parseRegisterAsset(body: unknown): RegisterAssetDto {
  const { dto, fields } = validateBody(RegisterAssetDto, body);
  if (dto && isPlainObject(dto.freshness)) {
    const nested = validateNested(FreshnessContractDto, dto.freshness, 'freshness', fields);
    if (nested) {
      for (const problem of freshnessContractProblems(nested as AssetFreshnessDefinition)) {
        (fields[problem.field] ??= []).push(problem.message);
      }
      dto.freshness = nested;
    }
  }
  throwIfAny(fields);
  return dto as RegisterAssetDto;
}

export function parsePublishAssetEvent(body: unknown): PublishAssetEventDto {
  const { dto, fields } = validateBody(PublishAssetEventDto, body);
  if (dto && isPlainObject(dto.dataInterval)) {
    const interval = validateNested(DataIntervalDto, dto.dataInterval, 'dataInterval', fields);
    if (interval) {
      if (Date.parse(interval.end) <= Date.parse(interval.start)) {
        (fields['dataInterval.end'] ??= []).push(
          `dataInterval.end (${interval.end}) must be after dataInterval.start (${interval.start}): the interval is [start, end)`,
        );
      }
      dto.dataInterval = interval;
    }
  }
  throwIfAny(fields);
  return dto as PublishAssetEventDto;
}

function validateBody<T extends object>(
  cls: new () => T,
  body: unknown,
): { dto: T | null; fields: FieldErrors } {
  if (!isPlainObject(body)) return { dto: null, fields: { body: ['body must be a JSON object'] } };
  const dto = plainToInstance(cls, body);
  const fields = fieldErrors(validateSync(dto, VALIDATION));
  return { dto, fields };
}

/** The nested object as its DTO when it is valid; its errors go in `fields` under `path.`. */
function validateNested<T extends object>(
  cls: new () => T,
  value: unknown,
  path: string,
  fields: FieldErrors,
): T | null {
  const dto = plainToInstance(cls, value as object);
  const errors = fieldErrors(validateSync(dto, VALIDATION), `${path}.`);
  Object.assign(fields, errors);
  // Fields the caller left out stay out (class fields exist on the instance as undefined).
  return Object.keys(errors).length === 0
    ? (Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)) as T)
    : null;
}

const VALIDATION = { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true };

function fieldErrors(errors: ValidationError[], prefix = ''): FieldErrors {
  const fields: FieldErrors = {};
  for (const e of errors) {
    const name = `${prefix}${e.property}`;
    if (e.constraints) fields[name] = Object.values(e.constraints);
    if (e.children?.length) Object.assign(fields, fieldErrors(e.children, `${name}.`));
    if (!e.constraints && !e.children?.length) fields[name] = [`${name} is invalid`];
  }
  return fields;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function throwIfAny(fields: FieldErrors): void {
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
}

// ---- queries (validated by the global pipe) ----

export class ListAssetsQuery extends PageQuery {
  /** Only assets whose name starts with this, e.g. `raw.` or `s3://lake/`. */
  @IsOptional()
  @IsString({ message: 'prefix must be a string' })
  @MaxLength(1000, { message: 'prefix must be at most 1000 characters' })
  prefix?: string;
}

export class AssetEventsQuery extends PageQuery {
  @IsOptional()
  @IsString({ message: "partition must be a string, e.g. '2026-04-25'" })
  partition?: string;
}

export class FreshnessQuery {
  @IsOptional()
  @IsString({ message: 'asset must be an asset name' })
  asset?: string;
}

export class ListAlertsQuery extends PageQuery {
  /** true: only alerts not recovered yet; false: only recovered ones. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'open must be true or false' })
  open?: 'true' | 'false';

  @IsOptional()
  @IsIn(ALERT_KINDS, { message: `kind must be one of ${ALERT_KINDS.join(', ')}` })
  kind?: string;

  @IsOptional()
  @IsString({ message: 'dagId must be a string' })
  dagId?: string;

  @IsOptional()
  @IsString({ message: 'asset must be a string' })
  asset?: string;
}
