import type { InstagramUserDto } from './dto/instagram-user.dto.js';
import type { InstagramUser } from './users.service.js';

export function toInstagramUserDto({ igUserId, node }: InstagramUser): InstagramUserDto {
  return {
    igUserId,
    username: node.username ?? null,
    name: node.name ?? null,
    accountType: node.accountType ?? null,
    profilePictureUrl: node.profilePictureUrl ?? null,
    followersCount: node.followersCount ?? null,
    followsCount: node.followsCount ?? null,
    mediaCount: node.mediaCount ?? null,
  };
}
