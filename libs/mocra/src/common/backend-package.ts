/**
 * Loads the package behind a backend that the config selected (kafkajs for `[channel_config.kafka]`, classic-level
 * for `channel_config.durable_path`, @mocra/raft for `[raft]`). Those packages are loaded only when their key is
 * set, so an app that queues in memory never pays for them; the cost is that a package that is missing, or whose
 * native binary does not load on this platform, fails at boot rather than at import, so the error names the key
 * that asked for it.
 */
export async function loadBackendPackage<T>(
  configKey: string,
  packageName: string,
  load: () => T | Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${configKey} needs the "${packageName}" package, which could not be loaded: ${reason}`, {
      cause: error,
    });
  }
}
