import { Knex } from 'knex';

/**
 * Where asciicast recordings go. A recording is a sequence of chunks, each
 * a run of complete asciicast lines (chunk 0 is the header line);
 * concatenated in order they are the `.cast` file.
 *
 * The default keeps them in the plugin's database. An object store (S3,
 * GCS, MinIO) implements the same three methods, writing each chunk as its
 * own object (`<sessionId>/<seq>`), and is passed to `createRouter`-level
 * wiring in place of the database store (see the README).
 *
 * `append` must be durable when it resolves: the session's recorder fails
 * closed on a rejected append (the session ends).
 *
 * @public
 */
export interface RecordingStore {
  append(sessionId: string, seq: number, data: string): Promise<void>;
  /** The chunks in order. */
  read(sessionId: string): AsyncIterable<string>;
  exists(sessionId: string): Promise<boolean>;
}

/** Recordings in the `terminal_recording_chunks` table. @public */
export class DatabaseRecordingStore implements RecordingStore {
  constructor(private readonly db: Knex) {}

  async append(sessionId: string, seq: number, data: string): Promise<void> {
    await this.db('terminal_recording_chunks').insert({
      session_id: sessionId,
      seq,
      data,
      bytes: Buffer.byteLength(data),
    });
  }

  async *read(sessionId: string): AsyncIterable<string> {
    // A page of chunks at a time: a long recording never sits in memory whole.
    let next = 0;
    for (;;) {
      const rows = await this.db('terminal_recording_chunks')
        .where('session_id', sessionId)
        .where('seq', '>=', next)
        .orderBy('seq')
        .limit(16)
        .select('seq', 'data');
      if (rows.length === 0) return;
      for (const row of rows) {
        yield row.data as string;
        next = Number(row.seq) + 1;
      }
    }
  }

  async exists(sessionId: string): Promise<boolean> {
    const row = await this.db('terminal_recording_chunks')
      .where({ session_id: sessionId, seq: 0 })
      .first('seq');
    return Boolean(row);
  }
}
