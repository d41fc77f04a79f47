import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type LabelValues,
  Registry,
} from 'prom-client';

/** Connections by the status callers see; supplied by the module that owns connections. */
export type ConnectionCounter = () => Promise<Map<string, number>>;

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The service's Prometheus metrics, in a registry of its own per app instance (so tests that
 * boot several apps in one process do not collide on the global registry).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'vault_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'vault_http_request_duration_seconds',
    help: 'HTTP request latency, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  private readonly instagramCalls = new Counter({
    name: 'vault_instagram_calls_total',
    help: 'Calls to Instagram, by operation and outcome (ok or the failure kind)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly instagramDuration = new Histogram({
    name: 'vault_instagram_call_duration_seconds',
    help: 'Latency of calls to Instagram, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  // Every request and every call to Instagram lands in one of these; their label sets are few
  // (methods, route patterns, statuses; operations, the proxy's patterns, outcomes).
  private readonly http = new CountedLatency(this.httpRequests, this.httpDuration);
  private readonly instagram = new CountedLatency(this.instagramCalls, this.instagramDuration);

  private readonly refreshOutcomes = new Counter({
    name: 'vault_refresh_outcomes_total',
    help: 'Scheduled refresh results: refreshed, failed, expired',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly sweepDuration = new Histogram({
    name: 'vault_refresh_sweep_duration_seconds',
    help: 'Duration of refresh sweeps',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: 'vault_webhook_deliveries_total',
    help: 'Webhook delivery attempts: delivered, failed (will retry), given_up',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private holdSource: () => { appSeconds: number; accounts: number } = () => ({
    appSeconds: 0,
    accounts: 0,
  });

  private readonly instagramUsage = new Gauge({
    name: 'vault_instagram_usage_percent',
    help: "Instagram's last reported usage of a budget, in percent (x-app-usage for the app, x-business-use-case-usage for the busiest account)",
    labelNames: ['header', 'figure'] as const,
    registers: [this.registry],
  });

  private countConnections: ConnectionCounter | undefined;

  constructor() {
    const holds = () => this.holdSource();
    new Gauge({
      name: 'vault_instagram_rate_limit_hold_seconds',
      help: 'Seconds left of the hold Instagram put on the whole app (0: none)',
      registers: [this.registry],
      collect() {
        this.set(holds().appSeconds);
      },
    });
    new Gauge({
      name: 'vault_instagram_rate_limit_held_accounts',
      help: 'Accounts Instagram asked us not to call for now',
      registers: [this.registry],
      collect() {
        this.set(holds().accounts);
      },
    });
    collectDefaultMetrics({ register: this.registry });
    const readCounts = (): Promise<Map<string, number>> =>
      this.countConnections?.() ?? Promise.resolve(new Map<string, number>());
    new Gauge({
      name: 'vault_connections',
      help: 'Connections by status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      // A scrape must not fail with the database: the last counts stay until it is back.
      async collect() {
        let counts: Map<string, number>;
        try {
          counts = await readCounts();
        } catch {
          return;
        }
        this.reset();
        for (const [status, count] of counts) {
          this.set({ status }, count);
        }
      },
    });
  }

  /** Where vault_connections reads its counts at each scrape. */
  countConnectionsWith(counter: ConnectionCounter): void {
    this.countConnections = counter;
  }

  recordHttpRequest(method: string, route: string, status: number, seconds: number): void {
    this.http.record(
      `${method} ${status} ${route}`,
      () => ({ method, route, status: String(status) }),
      seconds,
    );
  }

  recordInstagramCall(operation: string, outcome: string, seconds: number): void {
    this.instagram.record(`${operation} ${outcome}`, () => ({ operation, outcome }), seconds);
  }

  /** Where the rate-limit hold gauges read from at each scrape. */
  observeRateLimitHolds(source: () => { appSeconds: number; accounts: number }): void {
    this.holdSource = source;
  }

  recordInstagramUsage(header: 'app' | 'business_use_case', figures: Record<string, number>): void {
    for (const [figure, percent] of Object.entries(figures)) {
      this.instagramUsage.set({ header, figure }, percent);
    }
  }

  recordSweep(report: {
    refreshed: number;
    failed: number;
    expired: number;
    durationMs: number;
  }): void {
    this.refreshOutcomes.inc({ outcome: 'refreshed' }, report.refreshed);
    this.refreshOutcomes.inc({ outcome: 'failed' }, report.failed);
    this.refreshOutcomes.inc({ outcome: 'expired' }, report.expired);
    this.sweepDuration.observe(report.durationMs / 1000);
  }

  recordWebhookDelivery(outcome: 'delivered' | 'failed' | 'given_up'): void {
    this.webhookDeliveries.inc({ outcome });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * A count and a latency histogram over the same labels. The children of a label set are made
 * once, on its first record, and kept: a call then builds no label object and no child.
 */
class CountedLatency<L extends string> {
  private readonly children = new Map<
    string,
    { count: Counter.Internal; duration: Histogram.Internal<L> }
  >();

  constructor(
    private readonly counter: Counter<L>,
    private readonly histogram: Histogram<L>,
  ) {}

  /** `key` names the label set that `labels` builds (only the first time it is seen). */
  record(key: string, labels: () => LabelValues<L>, seconds: number): void {
    let children = this.children.get(key);
    if (children === undefined) {
      const values = labels();
      children = { count: this.counter.labels(values), duration: this.histogram.labels(values) };
      this.children.set(key, children);
    }
    children.count.inc();
    children.duration.observe(seconds);
  }
}
