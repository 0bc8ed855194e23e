import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { LevelDb } from './level-write-batcher.js';

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function causeOf(err: unknown): unknown {
  return err instanceof Error ? err.cause : undefined;
}

export function describeLevelError(err: unknown): string {
  const cause = causeOf(err);
  const text = err instanceof Error ? err.message : String(err);
  return cause instanceof Error ? `${text} (${cause.message})` : text;
}

/** LevelDB found a damaged table or log block (on open, or later while reading). */
export function isCorruption(err: unknown): boolean {
  return codeOf(err) === 'LEVEL_CORRUPTION' || codeOf(causeOf(err)) === 'LEVEL_CORRUPTION';
}

/**
 * Runs LevelDB's RepairDB on a closed database: keeps every readable record, drops damaged blocks. It runs in a
 * child process because the bundled LevelDB is built with assertions, and RepairDB on badly damaged tables can
 * abort (an out-of-order key in a rebuilt table): that must fail the repair, not kill the crawler.
 */
export async function repairLevelDb(location: string, what: string): Promise<void> {
  const entry = pathToFileURL(createRequire(import.meta.url).resolve('classic-level')).href;
  const script =
    `const { ClassicLevel } = await import(${JSON.stringify(entry)});` +
    'await ClassicLevel.repair(process.argv[1]);';
  const outcome = await new Promise<{ code: number | null; signal: string | null; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, location], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal, stderr }));
    },
  );
  if (outcome.code !== 0) {
    const how = outcome.signal !== null ? `aborted (${outcome.signal})` : `failed (exit ${outcome.code})`;
    throw new Error(
      `${what} at ${location}: corrupt and not repairable: LevelDB repair ${how}: ${outcome.stderr.trim()}`,
    );
  }
}

/**
 * Opens (creating if missing) the classic-level database at `location` with Buffer keys and values. A database
 * LevelDB itself reports as corrupt (a damaged MANIFEST or table file) is repaired once with LevelDB's RepairDB,
 * which salvages every readable record, and `onRepair` hears about it; other failures (another process holding
 * the lock, no permission) are rethrown naming the location.
 */
export async function openLevelDb(
  location: string,
  what: string,
  onRepair: (line: string) => void,
): Promise<LevelDb> {
  // loaded on the first open, not at import: DurableLocalQueueManager and LevelDeadLetterStore are public exports,
  // and an app that queues in memory must not load LevelDB's native binding by importing @mocra/core
  const { ClassicLevel } = await import('classic-level');
  const open = async (): Promise<LevelDb> => {
    const db: LevelDb = new ClassicLevel<Buffer, Buffer>(location, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    await db.open();
    return db;
  };
  try {
    return await open();
  } catch (err) {
    if (!isCorruption(err)) {
      const hint = codeOf(causeOf(err)) === 'LEVEL_LOCKED' ? ' (is another process using it?)' : '';
      throw new Error(`${what} at ${location}: cannot open${hint}: ${describeLevelError(err)}`, {
        cause: err,
      });
    }
    onRepair(`${what} at ${location}: LevelDB reports corruption (${describeLevelError(err)}); repairing`);
    await repairLevelDb(location, what);
    try {
      return await open();
    } catch (reopenErr) {
      throw new Error(`${what} at ${location}: cannot open after repair: ${describeLevelError(reopenErr)}`, {
        cause: reopenErr,
      });
    }
  }
}
