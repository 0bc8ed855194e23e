import { CronTime } from 'cron';

/** Returns why `expr` is not a valid cron expression, or undefined when it is. */
export function validateCronExpression(expr: string): string | undefined {
  try {
    new CronTime(expr);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
