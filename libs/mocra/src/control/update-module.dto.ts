import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from '../common/class-validator.js';
import { PRIORITIES, type Priority } from '../queue/envelope.js';

/**
 * Body of `PATCH /config/modules/:name`: the runtime settings to change, named as in `[modules.<name>]`.
 * `cron: null` removes the module's schedule.
 */
export class UpdateModuleDto {
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1_000_000)
  rate_limit?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  concurrency?: number;

  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  cron?: string | null;
}
