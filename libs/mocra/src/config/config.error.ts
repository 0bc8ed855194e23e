/** One problem found in a configuration: where it is (dotted key path, '' for the top level) and what is wrong. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
  /** `file:line:column` of a problem that has no key path (a TOML syntax error). */
  readonly location?: string;
}

/** Renders an issue as one line that starts with its key path (or its file position). */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.location ?? (issue.path === '' ? '(top level)' : issue.path);
  return `${where}: ${issue.message}`;
}

/**
 * Thrown by `loadConfig` when a configuration cannot be used. Every issue is collected (not only the first), so a
 * user fixes a config in one pass; the message lists them one per line after a header naming the source.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly issues: readonly ConfigIssue[],
    /** The TOML file the config came from, or undefined for an object config. */
    readonly source?: string,
  ) {
    const where = source === undefined ? 'configuration object' : `configuration file ${source}`;
    const count = issues.length === 1 ? '1 issue' : `${issues.length} issues`;
    super(
      [`invalid mocra ${where} (${count}):`, ...issues.map((i) => `  ${formatConfigIssue(i)}`)].join('\n'),
    );
  }
}
