import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * One synchronous full garbage collection. Without `--expose-gc` on the command line, V8's gc() is fetched from a
 * fresh context with the flag turned on for that moment only, so no context created later gets a `gc` global.
 */
export function fullGc(): void {
  if (collect === undefined) {
    const own = (globalThis as { gc?: unknown }).gc;
    if (typeof own === 'function') {
      collect = own as () => void;
    } else {
      setFlagsFromString('--expose-gc');
      try {
        collect = runInNewContext('gc') as () => void;
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
  }
  collect();
}
