import { ApiProperty } from '@nestjs/swagger';

/** The Instagram user node, read live with the stored token; null where Instagram gave no value. */
export class InstagramUserDto {
  /** Always the connection's key (the code exchange's user_id), not /me's other ids. */
  @ApiProperty({ example: '17841400000000001', pattern: '^\\d+$' })
  igUserId!: string;

  @ApiProperty({ type: String, nullable: true, example: 'jane' })
  username!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Jane Doe' })
  name!: string | null;

  /** BUSINESS, MEDIA_CREATOR or PERSONAL (Basic Display). */
  @ApiProperty({ type: String, nullable: true, example: 'BUSINESS' })
  accountType!: string | null;

  @ApiProperty({ type: String, nullable: true })
  profilePictureUrl!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 1200 })
  followersCount!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 180 })
  followsCount!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 42 })
  mediaCount!: number | null;
}
