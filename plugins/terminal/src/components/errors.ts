import { ResponseError } from '@backstage/errors';

/** The backend's own words for an error (its JSON body), else the error's message. */
export function errorMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.body?.error?.message || error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
