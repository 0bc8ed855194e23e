/** Headers every probe request carries, so the site can tell who sent what for which run. */
export const PROBE_HEADER = {
  /** `[crawler] node_id` of the sending process. */
  node: 'x-mocra-node',
  /** The run the request belongs to. */
  run: 'x-mocra-run',
  /** The run's fencing token for its `serial:<module>` lock (serial module only). */
  fencingToken: 'x-mocra-fencing-token',
} as const;
