export { Bitset } from './bitset.js';
export { checkOperations } from './check-operations.js';
export { formatHistory, type FormatHistoryOptions } from './history.format.js';
export { kvModel, type KvInput, type KvOutput } from './kv.model.js';
export type { Model } from './model.js';
export type { CheckOptions, CheckReport, CheckResult, Operation } from './operation.js';
export {
  checkPartition,
  PartitionSearch,
  type PartitionOutcome,
  type SearchStatus,
} from './partition-search.js';
export { registerModel, type RegisterInput, type RegisterOutput } from './register.model.js';
export { EdnKeyword, readEdn, type EdnValue } from './parsers/edn.reader.js';
export { parseJepsenEtcdLog } from './parsers/jepsen-etcd.parser.js';
export { parseKvEdn } from './parsers/kv-edn.parser.js';
