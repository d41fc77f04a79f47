import { BadRequestException, NotFoundException } from '@nestjs/common';
import { AppError, ErrorCode } from './app-error.js';
import { mapError } from './error-mapping.js';

describe('mapError', () => {
  it('turns an AppError into its problem', () => {
    const mapped = mapError(
      new AppError(ErrorCode.ConnectionNotFound, 'No connection for Instagram user 178414.'),
    );

    expect(mapped.problem).toEqual({
      type: 'urn:instagram-token-vault:problem:connection_not_found',
      title: 'No such connection',
      status: 404,
      detail: 'No connection for Instagram user 178414.',
      code: 'connection_not_found',
    });
    expect(mapped.headers).toEqual({});
    expect(mapped.unexpected).toBe(false);
  });

  it("passes an AppError's headers through and adds Retry-After in whole seconds", () => {
    const mapped = mapError(
      new AppError(ErrorCode.Unauthorized, 'Send Authorization: Bearer <key>.', {
        headers: { 'www-authenticate': 'Bearer' },
        retryAfterSeconds: 2.2,
      }),
    );

    expect(mapped.problem.status).toBe(401);
    expect(mapped.headers).toEqual({ 'www-authenticate': 'Bearer', 'retry-after': '3' });
  });

  it('adds extensions of an AppError to the problem', () => {
    const mapped = mapError(
      new AppError(ErrorCode.ValidationFailed, 'The request is not valid.', {
        extensions: { errors: [{ field: 'code', message: 'must be a string' }] },
      }),
    );

    expect(mapped.problem.errors).toEqual([{ field: 'code', message: 'must be a string' }]);
  });

  it("maps Nest's NotFoundException to not_found", () => {
    const mapped = mapError(new NotFoundException('Cannot GET /nope'));

    expect(mapped.problem).toMatchObject({
      status: 404,
      code: 'not_found',
      title: 'No such route',
    });
    expect(mapped.unexpected).toBe(false);
  });

  it("reports the messages of Nest's BadRequestException as validation_failed", () => {
    const exception = new BadRequestException(['code must be a string', 'ownerId is too long']);

    const mapped = mapError(exception);

    expect(mapped.problem).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(mapped.problem.detail).toBe('code must be a string; ownerId is too long');
  });

  it("maps Fastify's body-too-large error to payload_too_large", () => {
    const mapped = mapError({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });

    expect(mapped.problem).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(mapped.unexpected).toBe(false);
  });

  it("maps Fastify's invalid JSON error to validation_failed saying the body is not JSON", () => {
    const mapped = mapError({
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      message: "Body is not valid JSON but content-type is set to 'application/json'",
    });

    expect(mapped.problem).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(mapped.problem.detail).toBe('The request body is not valid JSON.');
  });

  it('answers an unknown error with a 500 that reveals nothing of it', () => {
    const mapped = mapError(new Error('db password is hunter2'));

    expect(mapped.problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(mapped.problem.detail).not.toContain('hunter2');
    expect(JSON.stringify(mapped.problem)).not.toContain('hunter2');
    expect(mapped.headers).toEqual({});
    expect(mapped.unexpected).toBe(true);
  });

  it('answers a thrown non-error with a 500', () => {
    const mapped = mapError('boom');

    expect(mapped.problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(mapped.unexpected).toBe(true);
  });
});
