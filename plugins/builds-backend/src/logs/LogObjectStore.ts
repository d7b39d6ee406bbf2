import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Where the lines of a build log live when they are not kept in the
 * database itself. The database keeps the index (which lines, which key);
 * an object holds one chunk of lines. Implementations must make `put`
 * idempotent (the same key is written again with the same bytes on a retry)
 * and durable before it resolves.
 *
 * @public
 */
export interface LogObjectStore {
  put(key: string, data: Buffer): Promise<void>;
  /** The object's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
}

// Keys are `<build id>/<first line>`: letters, digits, dash, underscore and
// dot in each segment, never `.` or `..`.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

function checkKey(key: string): string[] {
  const segments = key.split('/');
  if (
    segments.length === 0 ||
    segments.length > 4 ||
    segments.some(s => !SEGMENT.test(s) || s === '.' || s === '..')
  ) {
    throw new Error(`invalid log object key '${key}'`);
  }
  return segments;
}

/**
 * A log object store on a local or mounted filesystem (for example a
 * persistent volume shared by the backend replicas). Each object is written
 * to a temporary file, flushed to disk and renamed into place, so a reader
 * never sees half an object and a crash leaves either the old state or the
 * whole object.
 *
 * @public
 */
export class FilesystemLogObjectStore implements LogObjectStore {
  constructor(private readonly directory: string) {}

  private pathOf(key: string): string {
    return path.join(this.directory, ...checkKey(key));
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomUUID()}.tmp`;
    const handle = await fs.open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(temporary, target);
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}
