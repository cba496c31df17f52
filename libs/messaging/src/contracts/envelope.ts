// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsObject, IsString, Min, ValidateNested } from 'class-validator';

/**
 * Every message on a Tributary topic is an envelope: an id (consumers dedupe on it), a
 * type and schema version, when it happened, and the payload. Versions only grow: a
 * consumer rejects (to the DLQ) a version it does not know rather than misreading it.
 */
export class Envelope<P extends object = object> {
  @IsString()
  @IsNotEmpty()
  eventId!: string;

  @IsString()
  @IsNotEmpty()
  type!: string;

  @IsInt()
  @Min(1)
  version!: number;

  @IsISO8601({ strict: true })
  occurredAt!: string;

  @IsObject()
  @ValidateNested()
  payload!: P;
}

export function envelope<P extends object>(
  type: string,
  payload: P,
  occurredAt: Date,
  version = 1,
): Envelope<P> {
  return { eventId: randomUUID(), type, version, occurredAt: occurredAt.toISOString(), payload };
}

/** Declares the payload class of an envelope subclass for class-transformer. */
export function PayloadOf(payloadClass: new () => object): PropertyDecorator {
  return (target, key) => {
    Type(() => payloadClass)(target, key);
  };
}

export const isVersion = (versions: number[]) =>
  IsIn(versions, { message: `version must be one of ${versions.join(', ')}` });
