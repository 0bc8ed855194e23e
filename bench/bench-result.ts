/** One contender's measurement, printed by a runner process as a single JSON line prefixed with BENCH_RESULT. */
export interface BenchResult {
  name: string;
  pages: number;
  items: number;
  elapsedMs: number;
  cpuMs: number;
  peakRssMb: number;
}

export const RESULT_PREFIX = 'BENCH_RESULT ';

export function measure(
  name: string,
  pages: number,
  items: number,
  elapsedMs: number,
  cpu: NodeJS.CpuUsage,
): BenchResult {
  return {
    name,
    pages,
    items,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

export function report(result: BenchResult): void {
  console.log(RESULT_PREFIX + JSON.stringify(result));
}
