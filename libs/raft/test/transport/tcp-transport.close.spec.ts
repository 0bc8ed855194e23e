import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The repository's TypeScript hooks for plain node children (see libs/mocra/test/durable/support/ts-hooks.mjs).
const REGISTER = fileURLToPath(
  new URL('../../../mocra/test/durable/support/ts-register.mjs', import.meta.url),
);
const CHILD = fileURLToPath(new URL('./support/exchange-and-close.child.ts', import.meta.url));

describe('TcpTransport close', () => {
  it('leaves no handle open: a process that used it exits by itself after close()', async () => {
    const child = spawn(process.execPath, ['--import', REGISTER, CHILD], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    // Generous bound for a loaded machine: a leaked socket or timer keeps the child alive for good (the pending
    // request alone would hold it for 60 s).
    const code = await new Promise<number | string>((resolve) => {
      const bound = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('killed: still running after close()');
      }, 30_000);
      child.on('exit', (c, signal) => {
        clearTimeout(bound);
        resolve(c ?? String(signal));
      });
    });
    expect({ code, err }).toStrictEqual({ code: 0, err: '' });
    expect(out).toContain("CLOSED answer=42 pending=raft transport: request 'hang' to");
    expect(out).toContain('failed: transport closed');
  });
});
