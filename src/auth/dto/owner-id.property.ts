import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsSafeText } from '../../common/safe-text.decorator.js';

/** The optional `ownerId` of a flow or a code exchange: validated and documented once. */
export function OwnerIdProperty(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      example: 'customer-42',
      minLength: 1,
      maxLength: 255,
      description:
        "The caller's own id for the person; the connection will carry it. An account already connected under another owner is not moved: the flow ends with owner_conflict (409).",
    }),
    IsOptional(),
    IsSafeText(255, 1),
  );
}
