import { readFileSync, writeFileSync } from 'node:fs';

/** One `command args` block of a datadriven script with its expected output. */
export interface TestCase {
  line: number;
  command: string;
  args: CmdArg[];
  raw: string;
  expected: string;
}

export interface CmdArg {
  key: string;
  vals: string[];
  /** No `=`: a positional argument. */
  positional: boolean;
}

/** Parses `name a=1 b=(x,y) c` into positional and keyed arguments (etcd datadriven style). */
export function parseCommand(raw: string): { command: string; args: CmdArg[] } {
  const tokens: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of raw.trim()) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) {
      if (cur !== '') tokens.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur !== '') tokens.push(cur);
  const [command, ...rest] = tokens;
  const args = rest.map((t) => {
    const eq = t.indexOf('=');
    if (eq < 0) return { key: t, vals: [], positional: true };
    let v = t.slice(eq + 1);
    if (v.startsWith('(') && v.endsWith(')')) v = v.slice(1, -1);
    return {
      key: t.slice(0, eq),
      vals: v === '' ? [] : v.split(/[ ,]+/).filter((x) => x !== ''),
      positional: false,
    };
  });
  return { command: command ?? '', args };
}

/** Splits a script into cases: comment/blank lines, a command, `----`, then output up to a blank line. */
export function parseScript(text: string): TestCase[] {
  const lines = text.split('\n');
  const cases: TestCase[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      i++;
      continue;
    }
    const raw = l;
    const lineNo = i + 1;
    i++;
    if (lines[i] !== '----') throw new Error(`script line ${lineNo}: expected ---- after "${raw}"`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') {
      out.push(lines[i]!);
      i++;
    }
    const { command, args } = parseCommand(raw);
    cases.push({ line: lineNo, command, args, raw, expected: out.join('\n') });
  }
  return cases;
}

/** Renders a script back with new outputs, preserving comments and spacing between blocks. */
export function rewriteScript(path: string, outputs: Map<number, string>): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  const res: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      res.push(l);
      i++;
      continue;
    }
    const lineNo = i + 1;
    res.push(l);
    i++;
    res.push('----');
    i++;
    while (i < lines.length && lines[i]!.trim() !== '') i++;
    const out = outputs.get(lineNo) ?? '';
    for (const o of out.split('\n')) res.push(o);
  }
  writeFileSync(path, res.join('\n'));
}
