/**
 * `@mocra/core/testing`: test one node at a time (contexts, responses, runners, assertions) and record or replay a
 * crawl's responses. Framework-agnostic: failures are node:assert AssertionErrors, so vitest, jest and node:test
 * all report them.
 */
export {
  createGenerateContext,
  createParseContext,
  type GenerateContextOptions,
  type ParseContextOptions,
  type ScopeOptions,
} from './crawl-context.factory.js';
export {
  responseFromFixture,
  responseFromHtml,
  responseFromJson,
  type ResponseOptions,
} from './response.factory.js';
export { nodeKeyOf, runGenerate, runParse } from './node-runner.js';
export { expectData, expectNext } from './parse-output.assertions.js';
export { createNodeTestingModule, type NodeTestingModuleOptions } from './node-testing-module.js';
export {
  RecordingDownloader,
  type InnerDownloaderFactory,
  type RecordingDownloaderOptions,
} from './recording.downloader.js';
export { ReplayDownloader, type ReplayDownloaderOptions } from './replay.downloader.js';
export {
  fixtureFingerprint,
  fixturePath,
  parseResponseFixture,
  readResponseFixture,
  RESPONSE_FIXTURE_FORMAT,
  type FixtureRequest,
  type ResponseFixture,
  type ResponseFixtureFile,
} from './response-fixture.js';
