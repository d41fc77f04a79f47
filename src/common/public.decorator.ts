import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'vault:isPublic';

/** Opts a browser- or Meta-facing route out of the API key guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
