import { Deadline } from './deadline.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Deadline', () => {
  it('aborts its signal with a TimeoutError once the time is up', async () => {
    const deadline = new Deadline(20);

    expect(deadline.signal.aborted).toBe(false);
    await sleep(60);

    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('never aborts once cleared', async () => {
    const deadline = new Deadline(20);

    deadline.clear();
    await sleep(60);

    expect(deadline.signal.aborted).toBe(false);
  });
});
