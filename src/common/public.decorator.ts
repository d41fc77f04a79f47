import { SetMetadata } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';

export const IS_PUBLIC = 'vault:isPublic';

/**
 * Opts a browser- or Meta-facing route (or a whole controller) out of the API key guard, and
 * says so in the OpenAPI document: `security: []` overrides the document's default, a key.
 */
export const Public =
  (): MethodDecorator & ClassDecorator =>
  (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor === undefined) {
      SetMetadata(IS_PUBLIC, true)(target as () => unknown);
      // A controller's own security requirements apply to each of its operations.
      Reflect.defineMetadata(DECORATORS.API_SECURITY, [], target);
      return;
    }
    SetMetadata(IS_PUBLIC, true)(target, key as string | symbol, descriptor);
    // An empty list on the method itself would be dropped; an operation field is kept.
    const handler = descriptor.value as object;
    const operation = Reflect.getMetadata(DECORATORS.API_OPERATION, handler) as object | undefined;
    Reflect.defineMetadata(DECORATORS.API_OPERATION, { ...operation, security: [] }, handler);
  };
