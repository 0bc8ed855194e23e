import { describe, expect, it } from 'vitest';
import { closestKey } from '../../src/config/key-suggestion.js';

describe('closestKey', () => {
  const keys = ['request_max_retries', 'task_max_errors', 'module_max_errors', 'node_id'];

  it('suggests the nearest key for a typo', () => {
    expect(closestKey('request_max_retry', keys)).toBe('request_max_retries');
    expect(closestKey('task_max_erors', keys)).toBe('task_max_errors');
    expect(closestKey('nodeid', keys)).toBe('node_id');
  });

  it('treats case and dashes as the same key', () => {
    expect(closestKey('Module-Max-Errors', keys)).toBe('module_max_errors');
  });

  it('suggests nothing when no key is close', () => {
    expect(closestKey('completely_different', keys)).toBeUndefined();
    expect(closestKey('x', [])).toBeUndefined();
  });
});
