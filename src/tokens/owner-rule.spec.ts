import { consentWouldMoveOwner } from './owner-rule.js';

describe('consentWouldMoveOwner', () => {
  it('refuses a consent for another owner of a connection that has one', () => {
    expect(consentWouldMoveOwner('tenant-a:customer-1', 'tenant-b:customer-9')).toBe(true);
  });

  it.each([
    ['the same owner again', 'customer-1', 'customer-1'],
    ['a flow without an owner (the owner stays)', 'customer-1', undefined],
    ['a connection without an owner', null, 'customer-1'],
    ['a connection with an empty owner', '', 'customer-1'],
    ['no owner on either side', null, undefined],
  ])('lets %s through', (_name, current, requested) => {
    expect(consentWouldMoveOwner(current, requested)).toBe(false);
  });
});
