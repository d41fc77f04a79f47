import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { InstagramClient } from '../src/instagram/instagram.client.js';
import { useAppsPerTest } from './support/test-app.js';

const REFRESHED = JSON.stringify({
  access_token: 'IGAAbackgroundCallRefreshed0001',
  token_type: 'bearer',
  expires_in: 5_183_944,
});

/** A server on loopback, listening. */
async function listening(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/**
 * Instagram's refresh endpoint, answering over a raw socket so each answer leaves at once, and
 * a caller of the vault whose request goes out right behind each answer: the event loop finds
 * both ready together, the answer first. `events` tells which the vault handled first.
 */
async function answerThenRequest() {
  const events: string[] = [];
  const sockets: Socket[] = [];
  const vault = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => events.push('request'));
  });
  const caller = connect(await listening(vault), '127.0.0.1');
  sockets.push(caller);
  await once(vault, 'connection');
  const instagram = createServer((socket) => {
    sockets.push(socket);
    let received = '';
    socket.on('data', (chunk) => {
      received += String(chunk);
      if (!received.endsWith('\r\n\r\n')) {
        return;
      }
      received = '';
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${REFRESHED.length}\r\n\r\n${REFRESHED}`,
      );
      caller.write('GET /tokens/17841400000000001 HTTP/1.1\r\nhost: vault\r\n\r\n');
    });
  });
  const url = `http://127.0.0.1:${await listening(instagram)}`;
  return {
    url,
    events,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      vault.close();
      instagram.close();
    },
  };
}

describe("A sweep's Instagram calls give way to requests", () => {
  const { start } = useAppsPerTest();

  it.each([
    {
      call: 'a background call (a sweep refresh)',
      background: true,
      served: 'the request first',
      order: ['request', 'answer'],
    },
    {
      call: "a request's own call",
      background: false,
      served: 'the answer first',
      order: ['answer', 'request'],
    },
  ])(
    'serves $served when a request arrives together with the answer to $call',
    async ({ background, order }) => {
      const stage = await answerThenRequest();
      try {
        const test = await start({ INSTAGRAM_GRAPH_URL: stage.url });
        const instagram = test.app.get(InstagramClient);
        const token = await instagram.refreshLongLived('IGAAbackgroundCallCurrent0001', {
          account: '17841400000000001',
          background,
        });
        stage.events.push('answer');
        while (stage.events.length < 2) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        expect(token.accessToken).toBe('IGAAbackgroundCallRefreshed0001');
        expect(stage.events).toEqual(order);
      } finally {
        stage.close();
      }
    },
  );
});
