import { describe, expect, it } from 'vitest';
import { parseAppOptions, parseAppSpec } from '../../src/cli/app-loader.js';
import { UsageError } from '../../src/cli/cli-io.js';
import { splitHostPort } from '../../src/cli/connect-probe.js';

describe('--app and --app-options parsing', () => {
  it('reads file, export and factory method', () => {
    expect(parseAppSpec('dist/app.js')).toEqual({ file: 'dist/app.js', exportName: '', method: undefined });
    expect(parseAppSpec('dist/app.js#Shop')).toEqual({
      file: 'dist/app.js',
      exportName: 'Shop',
      method: undefined,
    });
    expect(parseAppSpec('C#/app.js#AppModule.register')).toEqual({
      file: 'C#/app.js',
      exportName: 'AppModule',
      method: 'register',
    });
  });

  it('rejects malformed specs and options with a UsageError', () => {
    for (const bad of ['#AppModule', 'a.js#', 'a.js#A.b.c', 'a.js#A.'])
      expect(() => parseAppSpec(bad)).toThrow(UsageError);
    expect(parseAppOptions(undefined)).toEqual({});
    expect(parseAppOptions('{"output":"x"}')).toEqual({ output: 'x' });
    expect(() => parseAppOptions('[1]')).toThrow(/must be a JSON object/);
    expect(() => parseAppOptions('{output}')).toThrow(/not valid JSON/);
  });

  it('splits host:port addresses, IPv6 included', () => {
    expect(splitHostPort('kafka-1:9092')).toEqual({ host: 'kafka-1', port: 9092 });
    expect(splitHostPort('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(splitHostPort('host')).toBeUndefined();
    expect(splitHostPort('host:70000')).toBeUndefined();
  });
});
