// Child process of the storage crash test: appends to a LevelStorage as fast as it can, several persists in flight,
// now and then overwriting its last two entries with a higher term (a conflicting tail), and prints
// `ack <lastIndex> <term> <commit>` for every persist once it resolved. The test kills it with SIGKILL.
import { LevelStorage } from '../../../src/storage/level-storage.js';
import type { Entry } from '../../../src/core/types.js';
import { crashEntryData } from './crash-entry-data.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: persist-loop.child.js <dir>');

const IN_FLIGHT = 4;
const BATCH = 3;

const storage = await LevelStorage.open(dir, { nodeId: 'n1', clusterId: 'crash-test', fsync: true });
let last = storage.lastIndex();
let term = Math.max(1, storage.initialState().hardState.term);
let commit = storage.initialState().hardState.commit;
process.stdout.write(`ready ${last}\n`);

const inFlight = new Set<Promise<void>>();
for (let round = 1; ; round++) {
  // entries at or below `commit` are never rewritten, so the commit index stays truthful
  let from = last + 1;
  if (round % 5 === 0 && last - 2 >= commit) {
    term++;
    from = last - 1;
  }
  commit = Math.max(commit, from - 3);
  const entries: Entry[] = [];
  for (let i = 0; i < BATCH; i++) {
    entries.push({ index: from + i, term, type: 'normal', data: crashEntryData(from + i, term) });
  }
  last = from + BATCH - 1;
  const ack = `ack ${last} ${term} ${commit}\n`;
  const write = storage.persist({ entries, hardState: { term, vote: 'n1', commit } }, true).then(() => {
    process.stdout.write(ack);
  });
  inFlight.add(write);
  void write.finally(() => inFlight.delete(write));
  if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
}
