import type { MediaNode } from '../instagram/instagram.wire.js';
import type { MediaChildDto, MediaDetailDto, MediaDto } from './dto/media.dto.js';
import type { MediaWithChildren } from './media.service.js';

export function toMediaChildDto(node: MediaNode): MediaChildDto {
  return {
    id: node.id,
    mediaType: node.mediaType ?? null,
    mediaUrl: node.mediaUrl ?? null,
    thumbnailUrl: node.thumbnailUrl ?? null,
    permalink: node.permalink ?? null,
    timestamp: node.timestamp?.toISOString() ?? null,
    username: node.username ?? null,
  };
}

export function toMediaDto(node: MediaNode): MediaDto {
  return {
    id: node.id,
    caption: node.caption ?? null,
    mediaType: node.mediaType ?? null,
    mediaProductType: node.mediaProductType ?? null,
    mediaUrl: node.mediaUrl ?? null,
    thumbnailUrl: node.thumbnailUrl ?? null,
    permalink: node.permalink ?? null,
    timestamp: node.timestamp?.toISOString() ?? null,
    username: node.username ?? null,
    likeCount: node.likeCount ?? null,
    commentsCount: node.commentsCount ?? null,
  };
}

export function toMediaDetailDto({ media, children }: MediaWithChildren): MediaDetailDto {
  return {
    ...toMediaDto(media),
    children: children?.map(toMediaChildDto) ?? null,
  };
}
