import { randomTraceId } from './emulator.ids.js';
import { type JsonValue, toJsonText } from './emulator.json.js';
import type { EmulatorResponse } from './emulator.types.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonResponse(
  status: number,
  value: JsonValue,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: toJsonText(value) };
}

export function htmlResponse(status: number, html: string): EmulatorResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
}

export function redirectResponse(location: string): EmulatorResponse {
  return { status: 302, headers: { location }, body: '' };
}

/** The error shape of api.instagram.com (authorize window and code exchange). */
export function apiError(message: string, code = 400): EmulatorResponse {
  return jsonResponse(code, { error_type: 'OAuthException', code, error_message: message });
}

export interface GraphErrorDetails {
  code: number;
  subcode?: number;
  status?: number;
  transient?: boolean;
  headers?: Record<string, string>;
}

/** The error shape of graph.instagram.com. */
export function graphError(message: string, details: GraphErrorDetails): EmulatorResponse {
  const error = {
    message,
    type: 'OAuthException',
    is_transient: details.transient,
    code: details.code,
    error_subcode: details.subcode,
    fbtrace_id: randomTraceId(),
  };
  return jsonResponse(details.status ?? 400, { error }, details.headers);
}
