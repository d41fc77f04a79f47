import { apiError, graphError, htmlResponse } from './emulator.responses.js';
import type {
  EmulatorFault,
  EmulatorOperation,
  EmulatorResponse,
  EmulatorThrottle,
  EmulatorUsage,
} from './emulator.types.js';

/** What to do instead of (or before) answering normally. */
export type FaultOutcome =
  | { kind: 'respond'; response: EmulatorResponse }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop' };

const API_HOST_OPERATIONS: ReadonlySet<EmulatorOperation> = new Set(['authorize', 'exchange_code']);

const UNAVAILABLE_PAGE =
  '<!DOCTYPE html><html><head><title>Instagram</title></head>' +
  '<body><h1>5xx Server Error</h1><p>Sorry, something went wrong.</p></body></html>';

/** Injected faults per operation, served first in, first out. */
export class FaultQueue {
  private queues = new Map<EmulatorOperation, EmulatorFault[]>();

  add(fault: EmulatorFault, times: number): void {
    if (!Number.isInteger(times) || times < 1) {
      throw new Error(`times must be a positive integer, got ${times}`);
    }
    const queue = this.queues.get(fault.operation) ?? [];
    for (let i = 0; i < times; i += 1) {
      queue.push(fault);
    }
    this.queues.set(fault.operation, queue);
  }

  take(operation: EmulatorOperation): EmulatorFault | undefined {
    return this.queues.get(operation)?.shift();
  }

  clear(): void {
    this.queues.clear();
  }
}

/** What a fault may need to know about the call it answers. */
export interface FaultContext {
  /** The professional id of the account whose token the call carries, when it carries one. */
  accountId?: string;
}

export function faultOutcome(fault: EmulatorFault, context: FaultContext = {}): FaultOutcome {
  switch (fault.kind) {
    case 'transient':
      return { kind: 'respond', response: transientError(fault.operation) };
    case 'rate_limited':
      return { kind: 'respond', response: throttled(fault, context) };
    case 'unavailable':
      return { kind: 'respond', response: htmlResponse(503, UNAVAILABLE_PAGE) };
    case 'delay':
      return { kind: 'delay', ms: fault.ms };
    case 'drop':
      return { kind: 'drop' };
    case 'http':
      return {
        kind: 'respond',
        response: {
          status: fault.status,
          headers: { 'content-type': fault.contentType ?? 'application/json; charset=utf-8' },
          body: fault.body,
        },
      };
  }
}

const THROTTLE_MESSAGES: Record<number, string> = {
  4: 'Application request limit reached',
  17: 'User request limit reached',
  32: 'Page request limit reached',
  613: 'Calls to this api have exceeded the rate limit.',
  80002: 'There have been too many calls to this Instagram account. Wait a bit and try again.',
};

function throttled(fault: EmulatorThrottle, context: FaultContext): EmulatorResponse {
  const code = fault.code ?? 4;
  const headers: Record<string, string> = {};
  if (code === 4) {
    headers['x-app-usage'] = appUsageHeader({ callCount: 100, totalTime: 31, totalCputime: 25 });
  } else {
    headers['x-business-use-case-usage'] = accountUsageHeader(context.accountId ?? '0', {
      callCount: 100,
      totalTime: 9,
      totalCputime: 12,
      regainMinutes: fault.regainMinutes ?? 0,
    });
  }
  if (fault.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(fault.retryAfterSeconds);
  }
  return graphError(THROTTLE_MESSAGES[code] ?? 'Request limit reached', {
    code,
    status: fault.status ?? 400,
    transient: true,
    headers,
  });
}

export function appUsageHeader(usage: NonNullable<EmulatorUsage['app']>): string {
  return JSON.stringify({
    call_count: usage.callCount,
    total_cputime: usage.totalCputime ?? usage.callCount,
    total_time: usage.totalTime ?? usage.callCount,
  });
}

export function accountUsageHeader(
  accountId: string,
  usage: NonNullable<EmulatorUsage['account']>,
): string {
  // The account id is a JSON object key, so a string: no precision is lost.
  return JSON.stringify({
    [accountId]: [
      {
        type: 'instagram',
        call_count: usage.callCount,
        total_cputime: usage.totalCputime ?? usage.callCount,
        total_time: usage.totalTime ?? usage.callCount,
        estimated_time_to_regain_access: usage.regainMinutes ?? 0,
      },
    ],
  });
}

function transientError(operation: EmulatorOperation): EmulatorResponse {
  if (API_HOST_OPERATIONS.has(operation)) {
    return apiError('An unknown error has occurred.', 500);
  }
  return graphError('An unexpected error has occurred. Please retry your request later.', {
    code: 2,
    status: 500,
    transient: true,
  });
}
