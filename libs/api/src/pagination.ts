// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 50;

/** `?limit=&offset=` on every list; query DTOs with filters extend it. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, description: 'page size' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `limit must be a whole number from 1 to ${MAX_PAGE}` })
  @Min(1, { message: `limit must be a whole number from 1 to ${MAX_PAGE}` })
  @Max(MAX_PAGE, { message: `limit must be a whole number from 1 to ${MAX_PAGE}` })
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, description: 'items to skip' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number, 0 or more' })
  @Min(0, { message: 'offset must be a whole number, 0 or more' })
  offset?: number;
}

/** Every list answers `{ items, total, limit, offset }`. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** The limit and offset a query asks for, with the list's default page size. */
export function pageWindow(query: PageQuery, defaultLimit = DEFAULT_PAGE): { limit: number; offset: number } {
  return { limit: query.limit ?? defaultLimit, offset: query.offset ?? 0 };
}

/** A page of items cut by SQL (`LIMIT/OFFSET`), with the total the same filter matches. */
export function pageOf<T>(items: T[], total: number, window: { limit: number; offset: number }): Page<T> {
  return { items, total, limit: window.limit, offset: window.offset };
}
