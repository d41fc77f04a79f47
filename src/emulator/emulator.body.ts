import type { IncomingMessage } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The text fields of an urlencoded or multipart/form-data body; any other type yields none,
 * as Instagram ignores a JSON body.
 */
export function parseFormBody(contentType: string | undefined, body: Buffer): URLSearchParams {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    return new URLSearchParams(body.toString('utf8'));
  }
  if (mediaType === 'multipart/form-data') {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
    return boundary
      ? parseMultipart(body.toString('utf8'), boundary[1] ?? boundary[2])
      : new URLSearchParams();
  }
  return new URLSearchParams();
}

function parseMultipart(text: string, boundary: string): URLSearchParams {
  const fields = new URLSearchParams();
  for (const part of text.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) {
      break;
    }
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) {
      continue;
    }
    const headers = part.slice(0, headerEnd);
    const name = /content-disposition:[^\r\n]*?\bname="([^"]*)"/i.exec(headers);
    if (!name || /\bfilename=/i.test(headers)) {
      continue;
    }
    fields.append(name[1], part.slice(headerEnd + 4).replace(/\r\n$/, ''));
  }
  return fields;
}
