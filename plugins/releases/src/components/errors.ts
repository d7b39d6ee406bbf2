import { ResponseError } from '@backstage/errors';

function asResponseError(error: unknown): ResponseError | undefined {
  // Duck-typed: two copies of @backstage/errors must not break instanceof.
  const candidate = error as Partial<ResponseError> | undefined;
  return candidate &&
    typeof candidate === 'object' &&
    candidate.name === 'ResponseError' &&
    typeof candidate.statusCode === 'number'
    ? (candidate as ResponseError)
    : undefined;
}

/**
 * The backend's own words for a refusal (`NotAllowedError`, `ConflictError`,
 * the freeze window's 423, ...), else the error's message.
 */
export function errorMessage(error: unknown): string {
  const response = asResponseError(error);
  if (response) {
    const message = response.body?.error?.message;
    return message
      ? `${message} (${response.statusCode})`
      : `${response.statusCode} ${response.statusText}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export function statusOf(error: unknown): number | undefined {
  return asResponseError(error)?.statusCode;
}
