import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({
  description:
    'An item of a carousel: the media fields Instagram has for a child. null where Instagram gave no value (or INSTAGRAM_MEDIA_FIELDS does not ask for it).',
})
export class MediaChildDto {
  @ApiProperty({
    description: 'The media id, as exact digits (ids exceed 2^53).',
    example: '17895695668004551',
    pattern: '^\\d+$',
  })
  id!: string;

  @ApiProperty({
    description: '`IMAGE` or `VIDEO` for a child.',
    type: String,
    nullable: true,
    example: 'IMAGE',
  })
  mediaType!: string | null;

  @ApiProperty({
    description:
      "The picture or video on Instagram's CDN (the URL expires); null for a video Instagram withholds, such as one flagged for copyright.",
    type: String,
    nullable: true,
  })
  mediaUrl!: string | null;

  @ApiProperty({
    description: "A video's cover picture; null for pictures.",
    type: String,
    nullable: true,
  })
  thumbnailUrl!: string | null;

  @ApiProperty({
    description: 'The public page of the media on Instagram.',
    type: String,
    nullable: true,
    example: 'https://www.instagram.com/p/C1a2b3c4d5e/',
  })
  permalink!: string | null;

  @ApiProperty({
    description: 'When it was published, ISO 8601 in UTC.',
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-20T10:00:00.000Z',
  })
  timestamp!: string | null;

  @ApiProperty({
    description: "The owner's username.",
    type: String,
    nullable: true,
    example: 'jane',
  })
  username!: string | null;
}

@ApiSchema({
  description:
    'A post of the account (a picture, a video or a carousel), read live with the stored token. null where Instagram gave no value (or INSTAGRAM_MEDIA_FIELDS does not ask for it).',
})
export class MediaDto extends MediaChildDto {
  @ApiProperty({
    description: 'The text of the post; null when it has none.',
    type: String,
    nullable: true,
    example: 'Sunset at the pier',
  })
  caption!: string | null;

  @ApiProperty({
    description: '`FEED`, `STORY`, `REELS` or `AD`.',
    type: String,
    nullable: true,
    example: 'FEED',
  })
  mediaProductType!: string | null;

  @ApiProperty({
    description: 'How many likes it has; null when the owner hides them.',
    type: Number,
    nullable: true,
    example: 12,
  })
  likeCount!: number | null;

  @ApiProperty({
    description: 'How many comments it has.',
    type: Number,
    nullable: true,
    example: 3,
  })
  commentsCount!: number | null;
}

@ApiSchema({ description: 'One post, with the items of a carousel.' })
export class MediaDetailDto extends MediaDto {
  @ApiProperty({
    description:
      'The items of a carousel (`mediaType` `CAROUSEL_ALBUM`), in order; null for a picture or a video.',
    type: [MediaChildDto],
    nullable: true,
  })
  children!: MediaChildDto[] | null;
}

@ApiSchema({ description: "A page of the account's posts, newest first." })
export class MediaPageDto {
  @ApiProperty({ description: 'The posts of this page.', type: [MediaDto] })
  items!: MediaDto[];

  @ApiProperty({
    description:
      "Pass as `cursor` for the next page; null on the last page. The vault's own cursor: it never holds a token or an Instagram URL.",
    type: String,
    nullable: true,
  })
  nextCursor!: string | null;
}
