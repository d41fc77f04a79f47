// The Instagram emulator in a process of its own for `npm run bench`, so its CPU is not counted
// against the service. Started with IPC by bench/run.mjs; configured by one JSON message:
// { app, latencyMs, snapshotFile }. Answers { url } once listening, then { refresh } tallies
// (successful refresh calls, first and last arrival, epoch ms) each time it is sent 'stats'.
import { readFileSync } from 'node:fs';
import { InstagramEmulator } from '../dist/emulator/instagram-emulator.js';

const tally = { count: 0, failed: 0, firstAt: null, lastAt: null };
let emulator;

function drainCalls() {
  for (const call of emulator.calls) {
    if (call.operation !== 'refresh' && call.operation !== 'exchange_long_lived') {
      continue;
    }
    if (call.status === 200) {
      tally.count += 1;
      tally.firstAt ??= call.at;
      tally.lastAt = call.at;
    } else {
      tally.failed += 1;
    }
  }
  // Calls are kept only until counted: a long bench would otherwise hold millions of them.
  emulator.resetCalls();
}

process.on('message', async (message) => {
  if (message === 'stats') {
    drainCalls();
    process.send({ refresh: { ...tally } });
    return;
  }
  if (message === 'stop') {
    await emulator?.stop();
    process.exit(0);
  }
  const { app, latencyMs, snapshotFile } = message;
  emulator = new InstagramEmulator({ apps: [app], latencyMs });
  if (snapshotFile) {
    emulator.restore(JSON.parse(readFileSync(snapshotFile, 'utf8')));
  }
  setInterval(drainCalls, 250).unref();
  process.send({ url: await emulator.start({ port: 0, host: '127.0.0.1' }) });
});
process.on('disconnect', () => process.exit(0));
