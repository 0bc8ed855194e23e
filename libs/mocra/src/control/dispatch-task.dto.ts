import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
} from '../common/class-validator.js';
import type { TaskEvent } from '../queue/envelope.js';
import { PRIORITIES, type Priority } from '../queue/envelope.js';

/** Body of `POST /tasks/dispatch`: a TaskEvent. No `module` (or an empty list) = every enabled module. */
export class DispatchTaskDto implements TaskEvent {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  account?: string;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  platform?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  module?: string[];

  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(/^[\w.:-]+$/, { message: 'runId may contain only letters, digits, "_", ".", ":" and "-"' })
  runId?: string;
}
