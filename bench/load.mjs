// Load with autocannon: keep-alive connections, each request to the next stored id in turn.
import autocannon from 'autocannon';

/**
 * Loads `base + path(id)` for `seconds` over `connections` connections; `rate` (req/s over
 * all connections) paces it, unset saturates. `onResponse` hears each answer's latency (ms) as
 * it arrives. Answers req/s, p50/p99 (ms) and what failed.
 */
export async function load({
  base,
  path,
  ids,
  token,
  seconds,
  connections = 32,
  rate,
  onResponse,
}) {
  let next = 0;
  const instance = autocannon({
    url: base,
    connections,
    duration: seconds,
    ...(rate !== undefined ? { overallRate: rate } : {}),
    headers: { authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({ ...request, path: path(ids[next++ % ids.length]) }),
      },
    ],
  });
  if (onResponse !== undefined) {
    instance.on('response', (_client, _status, _bytes, latencyMs) => onResponse(latencyMs));
  }
  const result = await instance;
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}
