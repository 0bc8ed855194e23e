/**
 * A lease on disk: which process instance holds a delivered message, and until when. At open every lease found
 * belongs to a dead process (LevelDB's LOCK file lets one process open the database at a time), so its message
 * goes back to pending; the owner and deadline are kept for operators reading the database.
 *
 *   0      format version (1)
 *   1..8   deadline, epoch ms (float64 LE)
 *   9..    owner id (UTF-8)
 */
const VERSION = 1;

export interface LeaseRecord {
  owner: string;
  deadlineMs: number;
}

export function encodeLease(ownerBytes: Buffer, deadlineMs: number): Buffer {
  const buf = Buffer.allocUnsafe(9 + ownerBytes.length);
  buf[0] = VERSION;
  buf.writeDoubleLE(deadlineMs, 1);
  ownerBytes.copy(buf, 9);
  return buf;
}

export function decodeLease(value: Buffer): LeaseRecord | undefined {
  if (value.length < 9 || value[0] !== VERSION) return undefined;
  return { deadlineMs: value.readDoubleLE(1), owner: value.toString('utf8', 9) };
}
