import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

/** One offending input of a 400/422: `field` is a dotted path (`senders.smsSenderId`, `options.leadMinutes`). */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, the body of every error answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** Thrown by handlers and middleware; the one `onError` turns it into problem+json. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  static validation(errors: FieldError[], detail = 'The request is not valid.'): ApiError {
    return new ApiError(400, detail, errors);
  }

  /** Well-formed input that refers to something that does not exist, or conflicts with a rule. */
  static unprocessable(field: string, message: string): ApiError {
    return new ApiError(422, message, [{ field, message }]);
  }

  static notFound(what: string): ApiError {
    return new ApiError(404, `${what} not found.`);
  }
}

export function problemBody(status: number, detail: string, errors?: FieldError[]): Problem {
  const title = TITLES[status] ?? 'Error';
  return {
    type: status === 400 || status === 422 ? 'about:blank#validation' : 'about:blank',
    title,
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function problemResponse(c: Context, status: ContentfulStatusCode, detail: string, errors?: FieldError[], headers?: Record<string, string>): Response {
  return c.body(JSON.stringify(problemBody(status, detail, errors)), status, {
    'content-type': 'application/problem+json',
    ...headers,
  });
}

/** Zod issues as field errors; unknown keys are named one by one so the caller sees which field to drop. */
export function fieldErrors(error: ZodError, prefix: string[] = []): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: [...path, key].join('.'), message: 'is not a known field' });
      continue;
    }
    // Zod 4 leaves the input out of issues; its message says "received undefined" for a missing field.
    const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
    out.push({ field: path.join('.') || '(body)', message: missing ? 'is required' : issue.message });
  }
  return out;
}
