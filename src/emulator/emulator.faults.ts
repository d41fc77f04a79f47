import { apiError, graphError, htmlResponse } from './emulator.responses.js';
import type { EmulatorFault, EmulatorOperation, EmulatorResponse } from './emulator.types.js';

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

export function faultOutcome(fault: EmulatorFault): FaultOutcome {
  switch (fault.kind) {
    case 'transient':
      return { kind: 'respond', response: transientError(fault.operation) };
    case 'rate_limited':
      return {
        kind: 'respond',
        response: graphError('Application request limit reached', {
          code: 4,
          transient: true,
          headers: {
            'x-app-usage': JSON.stringify({ call_count: 100, total_cputime: 25, total_time: 31 }),
          },
        }),
      };
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
