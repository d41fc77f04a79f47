import { applyDecorators } from '@nestjs/common';
import { buildMessage, IsString, Length, ValidateBy } from 'class-validator';

/** Control characters (NUL, newlines, escapes, C1) and halves of surrogate pairs. */
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cs}]/u;

export function isSafeText(value: unknown): value is string {
  return typeof value === 'string' && !UNSAFE_CHARACTERS.test(value);
}

/**
 * A text field as every one of ours must be: a string of bounded length without control
 * characters, which PostgreSQL (NUL), logs (newlines) and Instagram have no use for. Refused
 * in validation, before any state is spent or any code goes to Instagram.
 */
export function IsSafeText(maxLength: number, minLength = 0): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Length(minLength, maxLength),
    ValidateBy({
      name: 'isSafeText',
      validator: {
        validate: isSafeText,
        defaultMessage: buildMessage(
          (each) => `${each}$property must not contain control characters`,
        ),
      },
    }),
  );
}
