import { GraphPathPatterns } from './graph-paths.js';

const DEFAULTS = ['me', 'me/media', '{id}', '{id}/children', '{id}/insights', 'me/insights'];

describe('GraphPathPatterns', () => {
  const patterns = new GraphPathPatterns(DEFAULTS);

  it.each([
    ['me', 'me'],
    ['me/media', 'me/media'],
    ['17895695668004551', '{id}'],
    ['17895695668004551/children', '{id}/children'],
    ['1/insights', '{id}/insights'],
    ['me/insights', 'me/insights'],
  ])('lets %s through as %s', (path, pattern) => {
    expect(patterns.match(path)).toEqual({ segments: path.split('/'), pattern });
  });

  it.each([
    ['a path outside the list', 'me/stories'],
    ['a parent segment', 'me/../oauth'],
    ['a dot segment', 'me/./media'],
    ['a trailing slash', 'me/media/'],
    ['a leading slash', '/me'],
    ['an empty segment', 'me//media'],
    ['an empty path', ''],
    ['a query inside the path', 'me?fields=access_token'],
    ['a fragment inside the path', 'me#x'],
    ['an id with a sign', '-1/children'],
    ['an id with letters', '12a/children'],
    ['an id too long', `${'9'.repeat(33)}/children`],
    ['another case', 'ME/media'],
    ['a name where an id goes', 'me/children'],
    ['an encoded slash left encoded', 'me%2Fmedia'],
    ['an encoded dot', '%2e%2e/oauth'],
    ['a backslash', 'me\\media'],
    ["Instagram's token endpoint", 'refresh_access_token'],
    ['an extra segment', 'me/media/1'],
  ])('refuses %s', (_name, path) => {
    expect(patterns.match(path)).toBeUndefined();
  });
});
