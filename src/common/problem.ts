import { ErrorCode } from './app-error.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'urn:instagram-token-vault:problem:';

/** RFC 9457 problem details, with our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [extension: string]: unknown;
}

export function problemType(code: ErrorCode): string {
  return `${PROBLEM_TYPE_BASE}${code}`;
}

const PROBLEM_CODE = Symbol('vault.problemCode');

/** Notes on the raw response which problem it answers, for the request log's level. */
export function markProblem(response: object, code: ErrorCode): void {
  (response as { [PROBLEM_CODE]?: ErrorCode })[PROBLEM_CODE] = code;
}

export function problemCodeOf(response: object): ErrorCode | undefined {
  return (response as { [PROBLEM_CODE]?: ErrorCode })[PROBLEM_CODE];
}
