import { createHmac } from 'node:crypto';
import { signWebhookBody, verifyWebhookSignature } from './webhook-signature.js';

const SECRET = 'webhook-secret-0123456789';
const BODY = '{"id":"3f1c","type":"connection.created","data":{"connection":{"igUserId":"1"}}}';

describe('webhook signatures', () => {
  it('signs as sha256= and the hex HMAC-SHA256 of the raw body', () => {
    const expected = createHmac('sha256', SECRET).update(BODY, 'utf8').digest('hex');

    expect(signWebhookBody(BODY, SECRET)).toBe(`sha256=${expected}`);
    expect(signWebhookBody(BODY, SECRET)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('verifies a signature it made', () => {
    expect(verifyWebhookSignature(BODY, SECRET, signWebhookBody(BODY, SECRET))).toBe(true);
  });

  it('rejects the signature of a changed body', () => {
    const header = signWebhookBody(BODY, SECRET);

    expect(verifyWebhookSignature(BODY.replace('"1"', '"2"'), SECRET, header)).toBe(false);
    expect(verifyWebhookSignature(`${BODY} `, SECRET, header)).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    const header = signWebhookBody(BODY, 'another-secret-0123456789');

    expect(verifyWebhookSignature(BODY, SECRET, header)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['the bare hex without its prefix', signWebhookBody(BODY, SECRET).slice('sha256='.length)],
    ['truncated', signWebhookBody(BODY, SECRET).slice(0, -1)],
    ['with a byte too many', `${signWebhookBody(BODY, SECRET)}0`],
  ])('rejects a header of another length (%s) without throwing', (_name, header) => {
    expect(verifyWebhookSignature(BODY, SECRET, header)).toBe(false);
  });

  it('rejects the right digest in upper case', () => {
    const header = signWebhookBody(BODY, SECRET);
    const upper = `sha256=${header.slice('sha256='.length).toUpperCase()}`;

    expect(verifyWebhookSignature(BODY, SECRET, upper)).toBe(false);
  });
});
