import { CoordinationDecodeError } from './coordination.errors.js';

const utf8 = new TextEncoder();

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${String(value).slice(0, 40)}`;
}

/** Reads one item of a decoded MessagePack value; every accessor checks the type and bounds and names the path. */
export class FieldValue {
  constructor(
    readonly raw: unknown,
    readonly path: string,
  ) {}

  fail(problem: string): never {
    throw new CoordinationDecodeError(this.path, problem);
  }

  string(maxBytes: number, minBytes = 0): string {
    if (typeof this.raw !== 'string') this.fail(`expected a string, got ${describe(this.raw)}`);
    // UTF-8 can be up to 3 bytes per UTF-16 unit: only measure when the cheap bound does not settle it
    const bytes = this.raw.length * 3 <= maxBytes ? this.raw.length : utf8.encode(this.raw).byteLength;
    if (bytes > maxBytes) this.fail(`string of ${bytes} bytes exceeds ${maxBytes}`);
    if (bytes < minBytes) this.fail(minBytes === 1 ? 'must not be empty' : `shorter than ${minBytes} bytes`);
    return this.raw;
  }

  /** A safe integer in [min, max]. */
  int(min: number, max: number): number {
    if (typeof this.raw !== 'number' || !Number.isSafeInteger(this.raw)) {
      this.fail(`expected an integer, got ${describe(this.raw)}`);
    }
    if (this.raw < min || this.raw > max) this.fail(`${this.raw} is outside [${min}, ${max}]`);
    return this.raw;
  }

  /** A finite number in [min, max]. */
  number(min: number, max: number): number {
    if (typeof this.raw !== 'number' || !Number.isFinite(this.raw)) {
      this.fail(`expected a finite number, got ${describe(this.raw)}`);
    }
    if (this.raw < min || this.raw > max) this.fail(`${this.raw} is outside [${min}, ${max}]`);
    return this.raw;
  }

  bool(): boolean {
    if (typeof this.raw !== 'boolean') this.fail(`expected a boolean, got ${describe(this.raw)}`);
    return this.raw;
  }

  bytes(maxBytes: number): Uint8Array {
    if (!(this.raw instanceof Uint8Array)) this.fail(`expected bytes, got ${describe(this.raw)}`);
    if (this.raw.byteLength > maxBytes) this.fail(`${this.raw.byteLength} bytes exceeds ${maxBytes}`);
    return this.raw;
  }

  /** The items of an array of at most `maxItems`. */
  array(maxItems: number): FieldValue[] {
    if (!Array.isArray(this.raw)) this.fail(`expected an array, got ${describe(this.raw)}`);
    if (this.raw.length > maxItems) this.fail(`${this.raw.length} items exceed ${maxItems}`);
    return this.raw.map((item, i) => new FieldValue(item, `${this.path}[${i}]`));
  }

  /** A fixed-length array (a snapshot row). */
  tuple(length: number): FieldValue[] {
    const items = this.array(length);
    if (items.length !== length) this.fail(`expected ${length} items, got ${items.length}`);
    return items;
  }

  map(): FieldReader {
    return FieldReader.of(this.raw, this.path);
  }

  isNil(): boolean {
    return this.raw === null || this.raw === undefined;
  }
}

/**
 * Strict access to a decoded MessagePack map: fields are read by name, and `end()` rejects any field that was not
 * read, so a command with a typo or an unknown field is refused rather than half understood.
 */
export class FieldReader {
  private readonly seen = new Set<string>();

  private constructor(
    private readonly fields: Record<string, unknown>,
    readonly path: string,
  ) {}

  static of(value: unknown, path: string): FieldReader {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
      throw new CoordinationDecodeError(path, `expected a map, got ${describe(value)}`);
    }
    return new FieldReader(value as Record<string, unknown>, path);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.fields, name) && this.fields[name] !== undefined && this.fields[name] !== null;
  }

  field(name: string): FieldValue {
    this.seen.add(name);
    const path = `${this.path}.${name}`;
    if (!Object.hasOwn(this.fields, name) || this.fields[name] === undefined) {
      throw new CoordinationDecodeError(path, 'missing');
    }
    return new FieldValue(this.fields[name], path);
  }

  /** The field, or undefined when absent or null. */
  optional(name: string): FieldValue | undefined {
    this.seen.add(name);
    return this.has(name) ? new FieldValue(this.fields[name], `${this.path}.${name}`) : undefined;
  }

  end(): void {
    for (const name of Object.keys(this.fields)) {
      if (!this.seen.has(name)) {
        throw new CoordinationDecodeError(`${this.path}.${name}`, 'unknown field');
      }
    }
  }
}
