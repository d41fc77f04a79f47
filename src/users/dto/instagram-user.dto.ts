import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({
  description:
    'The Instagram user node, read live with the stored token; null where Instagram gave no value (or INSTAGRAM_USER_FIELDS does not ask for it).',
})
export class InstagramUserDto {
  @ApiProperty({
    description: "Always the connection's key (the code exchange's user_id), not /me's other ids.",
    example: '17841400000000001',
    pattern: '^\\d+$',
  })
  igUserId!: string;

  @ApiProperty({
    description: 'The Instagram username.',
    type: String,
    nullable: true,
    example: 'jane',
  })
  username!: string | null;

  @ApiProperty({
    description: 'The name on the profile.',
    type: String,
    nullable: true,
    example: 'Jane Doe',
  })
  name!: string | null;

  @ApiProperty({
    description: 'BUSINESS, MEDIA_CREATOR, or PERSONAL (Basic Display).',
    type: String,
    nullable: true,
    example: 'BUSINESS',
  })
  accountType!: string | null;

  @ApiProperty({
    description: "The profile picture's URL on Instagram's CDN (it expires).",
    type: String,
    nullable: true,
  })
  profilePictureUrl!: string | null;

  @ApiProperty({
    description: 'How many accounts follow this one.',
    type: Number,
    nullable: true,
    example: 1200,
  })
  followersCount!: number | null;

  @ApiProperty({
    description: 'How many accounts this one follows.',
    type: Number,
    nullable: true,
    example: 180,
  })
  followsCount!: number | null;

  @ApiProperty({
    description: 'How many media objects the account has published.',
    type: Number,
    nullable: true,
    example: 42,
  })
  mediaCount!: number | null;
}
