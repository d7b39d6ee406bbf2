interface ResponseErrorLike {
  name: string;
  message: string;
  statusCode?: number;
  body?: { error?: { name?: string; message?: string } };
}

function asResponseError(error: unknown): ResponseErrorLike | undefined {
  const e = error as ResponseErrorLike | undefined;
  return e && e.name === 'ResponseError' ? e : undefined;
}

/** The backend's own message for a failed call (its error body), else the error's. */
export function errorMessage(error: unknown): string {
  const response = asResponseError(error);
  if (response) return response.body?.error?.message ?? response.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The HTTP status of a failed call, when it was one. */
export function statusOf(error: unknown): number | undefined {
  return asResponseError(error)?.statusCode;
}
