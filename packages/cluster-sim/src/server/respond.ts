import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { StatusError } from '../store/errors';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendStatus(
  res: ServerResponse,
  error: StatusError,
  headers: Record<string, string> = {},
) {
  sendJson(res, error.code, error.toStatus(), headers);
}

export function warningHeader(warnings: string[]): Record<string, string> {
  if (warnings.length === 0) return {};
  return {
    Warning: warnings
      .map(w => `299 - ${JSON.stringify(w.replace(/[\r\n]/g, ' '))}`)
      .join(', '),
  };
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new StatusError(
        413,
        'RequestEntityTooLarge',
        `the request body is larger than ${MAX_BODY_BYTES} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON (or YAML, for apply patches and `application/yaml`) body. */
export function parseBody(
  raw: Buffer,
  contentType: string | undefined,
): unknown {
  const type = (contentType ?? 'application/json')
    .split(';')[0]
    .trim()
    .toLowerCase();
  const text = raw.toString('utf8');
  if (text.trim() === '') {
    throw StatusError.badRequest('the request body is empty');
  }
  if (type.endsWith('yaml')) {
    try {
      return parseYaml(text);
    } catch (error: any) {
      throw StatusError.badRequest(
        `error converting YAML to JSON: ${error.message}`,
      );
    }
  }
  try {
    return JSON.parse(text);
  } catch (error: any) {
    throw StatusError.badRequest(
      `the body of the request is not valid JSON: ${error.message}`,
    );
  }
}
