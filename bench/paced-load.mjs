// A steady request rate, timed from when each request was due, sent by a process of its own,
// clear of the bench's heap (100,000 seeded accounts) and its timers.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';

/** The clock ticks this often and sends every request that has come due. */
const TICK_MS = 1;
/** The argument that makes this module, forked, the sender. */
const SENDER_ARG = '--paced-sender';
/** How long the last requests may take before they count as failed. */
const ANSWER_DEADLINE_MS = 30_000;

/**
 * Sends `rate` req/s to `base` + each of `paths` in turn for `seconds`, one request every
 * 1/rate s whatever the answers do (an open loop), over `connections` keep-alive connections
 * opened before the clock starts. Each latency counts from when its request was due, not from
 * when a free connection took it: a stall shows in every request it held back, as a caller
 * sending at that rate would see it. (autocannon's `overallRate` sends each connection's quota
 * for the second back to back, and its coordinated-omission correction takes 1 ms as the
 * interval between requests, so one slow answer of n ms adds n samples.) Answers req/s,
 * p50/p99/max (ms), what failed, and `lagMs`, the most the sender's own clock fell behind.
 */
export function pacedLoad(options) {
  return new Promise((resolve, reject) => {
    const sender = fork(fileURLToPath(import.meta.url), [SENDER_ARG], { stdio: 'inherit' });
    let figures;
    sender.once('message', (message) => {
      figures = message;
    });
    sender.once('error', reject);
    // Answered once the sender is gone, so its CPU is all in what its parent has waited for.
    sender.once('exit', (code) =>
      figures === undefined
        ? reject(new Error(`the paced load exited with ${code}`))
        : resolve(figures),
    );
    sender.send(options);
  });
}

/**
 * The smallest HTTP/1.1 client that serves: keep-alive connections, one request in flight on
 * each, answers read by Content-Length (which both the service and the baseline send). undici
 * cost the sender a quarter of a core at 1,000 req/s, on the two cores the service, PostgreSQL
 * and the emulator share with it.
 */
async function openConnections({ hostname, port }, count) {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const socket = connect({ host: hostname, port: Number(port), noDelay: true });
          socket.once('connect', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Reads one answer after another off `socket`, calling `onAnswer(status)` for each. */
function readAnswers(socket, onAnswer) {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      const headerEnd = buffered.indexOf(HEADER_END);
      if (headerEnd < 0) {
        return;
      }
      const head = buffered.toString('latin1', 0, headerEnd);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
      if (length === undefined) {
        // A chunked answer would be misread as two: fail the load instead.
        throw new Error(`an answer without Content-Length: ${head.split('\r\n')[0]}`);
      }
      const end = headerEnd + HEADER_END.length + Number(length);
      if (buffered.length < end) {
        return;
      }
      buffered = buffered.subarray(end);
      onAnswer(Number(head.slice(9, 12)));
    }
  });
}

async function run({ base, paths, token, seconds, connections, rate }) {
  const url = new URL(base);
  const requests = paths.map((path) =>
    Buffer.from(
      `GET ${path} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${token}\r\n\r\n`,
    ),
  );
  const sockets = await openConnections(url, connections);
  let next = 0;
  let failed = 0;
  /** Requests due but waiting for a free connection, as the times they were due. */
  const waiting = [];
  /** The free connections, each as the function that sends a request due at a time on it. */
  const free = [];
  const latencies = [];
  // One request on each connection first: the connections are warm when the clock starts.
  let warming = connections;
  let warmed;
  for (const socket of sockets) {
    let dueAt;
    const send = (due) => {
      dueAt = due;
      socket.write(requests[next++ % requests.length]);
    };
    socket.on('error', () => {
      failed += 1;
    });
    readAnswers(socket, (status) => {
      if (warming > 0) {
        warming -= 1;
        free.push(send);
        if (warming === 0) {
          warmed();
        }
        return;
      }
      latencies.push(performance.now() - dueAt);
      if (status !== 200) {
        failed += 1;
      }
      if (waiting.length > 0) {
        send(waiting.shift());
      } else {
        free.push(send);
      }
    });
  }
  try {
    await new Promise((resolve) => {
      warmed = resolve;
      for (const socket of sockets) {
        socket.write(requests[next++ % requests.length]);
      }
    });
    const total = Math.round(seconds * rate);
    const intervalMs = 1000 / rate;
    let lagMs = 0;
    const startedAt = performance.now();
    await new Promise((resolve) => {
      let sent = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        lagMs = Math.max(lagMs, now - (startedAt + sent * intervalMs));
        const due = Math.min(total, Math.floor((now - startedAt) / intervalMs) + 1);
        for (; sent < due; sent += 1) {
          const dueAt = startedAt + sent * intervalMs;
          const send = free.pop();
          if (send === undefined) {
            waiting.push(dueAt);
          } else {
            send(dueAt);
          }
        }
        if (sent === total) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    const deadline = performance.now() + ANSWER_DEADLINE_MS;
    while (latencies.length < total && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    failed += total - latencies.length;
    const elapsedS = (performance.now() - startedAt) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q) =>
      Number(latencies[Math.min(latencies.length - 1, Math.floor(total * q))].toFixed(1));
    return {
      rps: latencies.length / elapsedS,
      p50: at(0.5),
      p99: at(0.99),
      max: at(1),
      failed,
      lagMs: Number(lagMs.toFixed(1)),
    };
  } finally {
    for (const socket of sockets) {
      socket.destroy();
    }
  }
}

if (process.argv[2] === SENDER_ARG) {
  process.once('message', async (options) => {
    process.send(await run(options), () => process.disconnect());
  });
}
