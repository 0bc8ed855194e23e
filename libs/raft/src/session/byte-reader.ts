import { CodecError } from './codec.error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Big-endian binary reader that trusts nothing: every length is checked against the bytes that remain and against
 * a caller-given maximum, strings must be valid UTF-8, and `end()` rejects trailing bytes.
 */
export class ByteReader {
  private readonly view: DataView;
  private offset = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly structure: string,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  u8(field: string): number {
    this.need(field, 1);
    const value = this.view.getUint8(this.offset);
    this.offset += 1;
    return value;
  }

  u16(field: string): number {
    this.need(field, 2);
    const value = this.view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }

  u32(field: string): number {
    this.need(field, 4);
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  u64(field: string): number {
    this.need(field, 8);
    const value = this.view.getBigUint64(this.offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CodecError(this.structure, field, this.offset, `${value} exceeds Number.MAX_SAFE_INTEGER`);
    }
    this.offset += 8;
    return Number(value);
  }

  bytes(field: string, maxLength: number): Uint8Array {
    const at = this.offset;
    const length = this.u32(field);
    if (length > maxLength)
      throw new CodecError(this.structure, field, at, `length ${length} exceeds ${maxLength}`);
    this.need(field, length);
    const value = this.data.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  string(field: string, maxBytes: number): string {
    const at = this.offset;
    const length = this.u16(field);
    if (length > maxBytes)
      throw new CodecError(this.structure, field, at, `length ${length} exceeds ${maxBytes}`);
    this.need(field, length);
    try {
      const value = utf8.decode(this.data.subarray(this.offset, this.offset + length));
      this.offset += length;
      return value;
    } catch {
      throw new CodecError(this.structure, field, this.offset, 'is not valid UTF-8');
    }
  }

  /** Fails with the field name if a byte is not one of the allowed tags. */
  tag<T extends number>(field: string, allowed: readonly T[]): T {
    const at = this.offset;
    const value = this.u8(field);
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) {
      throw new CodecError(
        this.structure,
        field,
        at,
        `unknown tag ${value} (expected one of ${allowed.join(', ')})`,
      );
    }
    return match;
  }

  end(): void {
    if (this.remaining !== 0) {
      throw new CodecError(this.structure, 'end', this.offset, `${this.remaining} trailing bytes`);
    }
  }

  private need(field: string, count: number): void {
    if (this.remaining < count) {
      throw new CodecError(
        this.structure,
        field,
        this.offset,
        `needs ${count} bytes, ${this.remaining} left`,
      );
    }
  }
}
