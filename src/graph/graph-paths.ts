import { isInstagramId } from '../common/instagram-id.js';

export interface GraphPathMatch {
  segments: string[];
  /** The pattern it matched, e.g. `{id}/children`: what metrics name it by. */
  pattern: string;
}

/**
 * GRAPH_PROXY_PATHS as a matcher. A path passes only when its segments equal a pattern's, where
 * `{id}` stands for a run of digits: a dot, a percent sign, a slash within a segment, a `?` or a
 * `#` can never be part of a path that passes.
 */
export class GraphPathPatterns {
  private readonly patterns: { pattern: string; segments: string[] }[];

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((pattern) => ({ pattern, segments: pattern.split('/') }));
  }

  get list(): string[] {
    return this.patterns.map(({ pattern }) => pattern);
  }

  match(path: string): GraphPathMatch | undefined {
    const segments = path.split('/');
    const found = this.patterns.find(
      (candidate) =>
        candidate.segments.length === segments.length &&
        candidate.segments.every((part, index) =>
          part === '{id}' ? isInstagramId(segments[index]) : part === segments[index],
        ),
    );
    return found === undefined ? undefined : { segments, pattern: found.pattern };
  }
}
