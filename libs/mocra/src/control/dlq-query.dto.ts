import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Min } from '../common/class-validator.js';
import { ROUTES, type Route } from '../queue/envelope.js';

export const DLQ_MAX_PAGE = 500;
export const DLQ_DEFAULT_PAGE = 50;

/** Query of `GET /dlq/messages`; `limit` is clamped to 1..500 rather than rejected. */
export class DlqQueryDto {
  @IsOptional()
  @IsIn(ROUTES)
  route?: Route;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  module?: string;

  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  limit?: number;
}
