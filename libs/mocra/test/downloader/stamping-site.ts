import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// Arrival times come from the kernel (SO_TIMESTAMPNS) in a site process of their own: a stamp taken in a request
// handler includes the process's own wake-up delay, 3-7 ms at times, which is as large as the spacing measured.
const SITE_SCRIPT = fileURLToPath(new URL('./kernel-stamp-site.py', import.meta.url));

export interface StampingSite {
  base: string;
  /** Kernel receive times of the requests' first bytes, in ms (CLOCK_REALTIME: compare them with each other). */
  stamps(): Promise<number[]>;
  close(): Promise<void>;
}

export async function startStampingSite(): Promise<StampingSite> {
  if (process.platform !== 'linux') {
    throw new Error(
      `the stamping site reads Linux kernel receive timestamps (SO_TIMESTAMPNS); this is ${process.platform}`,
    );
  }
  const child: ChildProcess = spawn('python3', [SITE_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', (err) =>
      reject(
        new Error(
          `the stamping site needs python3 on PATH (it reads kernel receive timestamps): ${err.message}`,
        ),
      ),
    );
    child.once('exit', (code) => reject(new Error(`the stamping site exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^PORT (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    stamps: async () => {
      const res = await fetch(`${base}/__stamps`);
      const { stamps, unstamped } = (await res.json()) as { stamps: number[]; unstamped: number };
      // A user-space stamp mixed in would bring back the very jitter this site exists to leave out.
      if (unstamped > 0) {
        throw new Error(`the kernel gave no receive timestamp for ${unstamped} of ${stamps.length} requests`);
      }
      return stamps;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill();
      await exited;
    },
  };
}
