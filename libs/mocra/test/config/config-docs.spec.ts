import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeConfigKeys, renderConfigKeysMarkdown } from '../../src/config/index.js';

const DOCS = fileURLToPath(new URL('../../../../docs/configuration.md', import.meta.url));
const START =
  '<!-- config-keys:start (generated: MOCRA_UPDATE_DOCS=1 npx vitest run libs/mocra/test/config) -->';
const END = '<!-- config-keys:end -->';

/** The generated block of the docs; with MOCRA_UPDATE_DOCS=1 it is rewritten from the code first. */
function docsText(): string {
  const text = readFileSync(DOCS, 'utf8');
  if (process.env['MOCRA_UPDATE_DOCS'] !== '1') return text;
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOCS} lacks the ${START} ... ${END} markers`);
  const updated = `${text.slice(0, start + START.length)}\n\n${renderConfigKeysMarkdown()}\n\n${text.slice(end)}`;
  writeFileSync(DOCS, updated);
  return updated;
}

describe('docs/configuration.md', () => {
  const docs = docsText();

  it('documents every config key', () => {
    const missing = describeConfigKeys()
      .map((row) => row.path)
      .filter((path) => !docs.includes(`\`${path}\``) && !docs.includes(`[${path}]`));
    expect(missing).toEqual([]);
  });

  it('shows each key with the type and default the code uses', () => {
    const block = docs.slice(docs.indexOf(START) + START.length, docs.indexOf(END)).trim();
    expect(block).toBe(renderConfigKeysMarkdown());
  });

  it('lists at least the keys the design names', () => {
    const paths = describeConfigKeys().map((row) => row.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'download_config.rate_limit',
        'cache.backend',
        'crawler.idle_stop_secs',
        'channel_config.kafka.brokers',
        'api.api_key',
        'raft.election_timeout_ms',
        'proxy.direct[].url',
        'logger.level',
        'policy.overrides[].kind',
        'modules.<name>.settings',
      ]),
    );
  });
});
