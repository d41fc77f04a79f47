import { Injectable, Logger } from '@nestjs/common';
import { AppError, ErrorCode } from '../common/app-error.js';
import {
  asUpstreamFailure,
  InstagramError,
  InstagramFailure,
} from '../instagram/instagram.errors.js';
import { type ConnectionRecord, ConnectionStatus } from './connection.record.js';
import { ConnectionsRepository } from './connections.repository.js';

/**
 * Runs calls to Instagram made with a connection's stored token. A token Instagram no longer
 * accepts (190) flips the connection to invalid (or expired) before the problem goes up, and
 * Instagram refusing our own request is a bad gateway, not the caller's bad input.
 */
@Injectable()
export class StoredTokenCalls {
  private readonly logger = new Logger(StoredTokenCalls.name);

  constructor(private readonly connections: ConnectionsRepository) {}

  async run<T>(connection: ConnectionRecord, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof InstagramError && error.failure === InstagramFailure.TokenInvalid) {
        throw await this.rejectToken(connection, error);
      }
      throw asUpstreamFailure(error);
    }
  }

  private async rejectToken(
    connection: ConnectionRecord,
    error: InstagramError,
  ): Promise<AppError> {
    const { igUserId } = connection;
    const status = error.tokenExpired ? ConnectionStatus.expired : ConnectionStatus.invalid;
    await this.connections.markUnusable(
      igUserId,
      connection.tokenIssuedAt,
      status,
      describeFailure(error),
    );
    this.logger.warn(
      { igUserId, instagramCode: error.details.code, subcode: error.details.subcode },
      `Instagram rejected the stored token; connection marked ${status}`,
    );
    return new AppError(
      ErrorCode.InstagramTokenInvalid,
      `Instagram no longer accepts the token of ${igUserId} (${error.details.message}); the connection is now ${status} and the person must authorize again.`,
      { cause: error, extensions: { connectionStatus: status } },
    );
  }
}

/** A failure in words fit to store and log: never a token. */
export function describeFailure(error: unknown): string {
  if (error instanceof InstagramError) {
    const code = error.details.code !== undefined ? ` (code ${error.details.code})` : '';
    return `${error.failure}${code}: ${error.details.message}`;
  }
  if (error instanceof AppError) {
    return `${error.code}: ${error.detail}`;
  }
  return 'unexpected error';
}
