/** A `metav1.StatusCause`. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** A Kubernetes `Status` body. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** What a resource is called in messages: `deployments.apps`, `pods`. */
export function qualifiedResource(group: string, plural: string) {
  return group ? `${plural}.${group}` : plural;
}

/**
 * An API error that becomes a Kubernetes `Status` body, with the reasons and
 * messages the real API server uses so clients branch on them the same way.
 */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusBody['details'],
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  static notFound(group: string, plural: string, name: string) {
    return new StatusError(
      404,
      'NotFound',
      `${qualifiedResource(group, plural)} "${name}" not found`,
      { name, ...(group ? { group } : {}), kind: plural },
    );
  }

  static alreadyExists(group: string, plural: string, name: string) {
    return new StatusError(
      409,
      'AlreadyExists',
      `${qualifiedResource(group, plural)} "${name}" already exists`,
      { name, ...(group ? { group } : {}), kind: plural },
    );
  }

  static conflict(group: string, plural: string, name: string, why?: string) {
    return new StatusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(
        group,
        plural,
      )} "${name}": ${
        why ??
        'the object has been modified; please apply your changes to the latest version and try again'
      }`,
      { name, ...(group ? { group } : {}), kind: plural },
    );
  }

  /** 422 Invalid: `Kind.group "name" is invalid: field: message, ...`. */
  static invalid(
    group: string,
    kind: string,
    name: string,
    causes: StatusCause[],
  ) {
    const what = group ? `${kind}.${group}` : kind;
    const list = causes
      .map(c => (c.field ? `${c.field}: ${c.message}` : c.message))
      .join(', ');
    return new StatusError(
      422,
      'Invalid',
      `${what} "${name}" is invalid: ${causes.length > 1 ? `[${list}]` : list}`,
      { name, ...(group ? { group } : {}), kind, causes },
    );
  }

  static badRequest(message: string) {
    return new StatusError(400, 'BadRequest', message);
  }

  static expired(message: string) {
    return new StatusError(410, 'Expired', message);
  }

  static methodNotAllowed(
    message = 'the server does not allow this method on the requested resource',
  ) {
    return new StatusError(405, 'MethodNotAllowed', message);
  }

  static unsupportedMediaType(message: string) {
    return new StatusError(415, 'UnsupportedMediaType', message);
  }

  static unauthorized() {
    return new StatusError(401, 'Unauthorized', 'Unauthorized');
  }

  static forbidden(message: string) {
    return new StatusError(403, 'Forbidden', message);
  }

  static internal(message: string) {
    return new StatusError(
      500,
      'InternalError',
      `Internal error occurred: ${message}`,
      { causes: [{ reason: 'UnexpectedServerResponse', message }] },
    );
  }

  static tooManyRequests(message: string, retryAfterSeconds = 1) {
    return new StatusError(429, 'TooManyRequests', message, {
      retryAfterSeconds,
    });
  }

  static notAcceptable(message: string) {
    return new StatusError(406, 'NotAcceptable', message);
  }
}

export function successStatus(details?: StatusBody['details']): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    message: '',
    reason: '',
    ...(details ? { details } : {}),
    code: 200,
  };
}
