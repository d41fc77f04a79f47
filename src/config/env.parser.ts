import { ConfigError } from './config.error.js';

export type RawEnv = Readonly<Record<string, string | undefined>>;

/** Reads one variable of the environment, trimmed; empty counts as unset. */
export class EnvReader {
  constructor(private readonly env: RawEnv) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  required(name: string, why: string): string {
    const value = this.optional(name);
    if (value === undefined) {
      throw new ConfigError(name, `is required ${why}`);
    }
    return value;
  }

  list(name: string, fallback: string[] = []): string[] {
    const value = this.optional(name);
    if (value === undefined) {
      return fallback;
    }
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === undefined) {
      return fallback;
    }
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return Number(value);
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.optional(name)?.toLowerCase();
    if (value === undefined) {
      return fallback;
    }
    if (['true', '1', 'yes', 'on'].includes(value)) {
      return true;
    }
    if (['false', '0', 'no', 'off'].includes(value)) {
      return false;
    }
    throw new ConfigError(name, `must be true or false, got "${value}"`);
  }

  httpUrl(name: string, fallback?: string): string {
    const value = this.optional(name) ?? fallback;
    if (value === undefined) {
      throw new ConfigError(name, 'is required');
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(name, `must be an absolute http(s) URL, got "${value}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(name, `must be an http(s) URL, got "${value}"`);
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name)?.toLowerCase();
    if (value === undefined) {
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
    }
    return value as T;
  }
}
