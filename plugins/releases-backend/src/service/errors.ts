import { CustomErrorBase } from '@backstage/errors';

/**
 * The service is inside a change-freeze window: HTTP 423 Locked. A platform
 * member may start the release anyway with an audited break-glass.
 */
export class ChangeFreezeError extends CustomErrorBase {
  name = 'ChangeFreezeError' as const;
  statusCode = 423;
}
