import { nextMediaId } from './emulator.ids.js';
import type { EmulatorMedia, EmulatorPostSpec } from './emulator.types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const CDN = 'https://instagram-emulator.invalid/media';

/** What a new account has posted: a carousel, a reel, pictures, a video withheld for copyright. */
export const DEFAULT_POSTS: readonly EmulatorPostSpec[] = [
  { mediaType: 'CAROUSEL_ALBUM', caption: 'A weekend in three pictures and a clip' },
  { mediaType: 'VIDEO', caption: 'Behind the scenes' },
  { mediaType: 'IMAGE', caption: 'Sunset at the pier' },
  { mediaType: 'VIDEO', caption: 'Our song', withholdMediaUrl: true },
  { mediaType: 'IMAGE', caption: null, hideLikes: true },
];

let madeSoFar = 0;

/** The posts of an account, newest first and a day apart before `now`; carousel items beside. */
export function makePosts(
  owner: { userId: string; username: string },
  specs: readonly EmulatorPostSpec[],
  now: number,
): { posts: EmulatorMedia[]; children: EmulatorMedia[] } {
  const posts: EmulatorMedia[] = [];
  const children: EmulatorMedia[] = [];
  specs.forEach((spec, index) => {
    const timestamp = Math.floor((now - (index + 1) * DAY_MS) / 1000) * 1000;
    const mediaType = spec.mediaType ?? 'IMAGE';
    const post = makeMedia(owner, mediaType, timestamp, spec);
    if (mediaType === 'CAROUSEL_ALBUM') {
      const items = (spec.children ?? ['IMAGE', 'IMAGE', 'VIDEO', 'IMAGE']).map((type) => ({
        ...makeMedia(owner, type, timestamp, {}),
        parentId: post.id,
        caption: undefined,
        likeCount: undefined,
        commentsCount: 0,
      }));
      post.childIds = items.map((item) => item.id);
      post.mediaUrl = items[0]?.mediaUrl;
      children.push(...items);
    }
    posts.push(post);
  });
  return { posts, children };
}

function makeMedia(
  owner: { userId: string; username: string },
  mediaType: EmulatorMedia['mediaType'],
  timestamp: number,
  spec: EmulatorPostSpec,
): EmulatorMedia {
  madeSoFar += 1;
  const id = nextMediaId();
  const shortcode = Buffer.from(id).toString('base64url').slice(-11);
  const video = mediaType === 'VIDEO';
  return {
    id,
    ownerUserId: owner.userId,
    mediaType,
    mediaProductType: video ? 'REELS' : 'FEED',
    caption:
      spec.caption === null
        ? undefined
        : (spec.caption ?? `Post ${madeSoFar} by ${owner.username}`),
    mediaUrl: spec.withholdMediaUrl ? undefined : `${CDN}/${id}.${video ? 'mp4' : 'jpg'}`,
    thumbnailUrl: video ? `${CDN}/${id}_thumb.jpg` : undefined,
    permalink: `https://www.instagram.com/${video ? 'reel' : 'p'}/${shortcode}/`,
    timestamp,
    likeCount: spec.hideLikes ? undefined : (madeSoFar * 7) % 500,
    commentsCount: madeSoFar % 13,
    idAsNumber: madeSoFar % 2 === 0,
  };
}
