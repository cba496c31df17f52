import { closestMatch, editDistance } from './suggest';

describe('editDistance (Levenshtein)', () => {
  it.each<[string, string, number]>([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['extract', 'extrct', 1], // deletion
    ['load', 'loadd', 1], // insertion
    ['load', 'lord', 1], // substitution
    ['ab', 'ba', 2], // a transposition costs two edits
    ['Los_Angles', 'Los_Angeles', 1],
    ['A', 'a', 1], // case-sensitive
  ])('%j → %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });

  it('is symmetric', () => {
    const pairs: [string, string][] = [
      ['transform', 'tarnsfrom'],
      ['raw.events', 'raw_event'],
      ['a', 'xyz'],
    ];
    for (const [a, b] of pairs) expect(editDistance(a, b)).toBe(editDistance(b, a));
  });
});

describe('closestMatch', () => {
  const tasks = ['extract', 'transform', 'load', 'publish_report'];

  it('suggests the closest candidate for a plausible typo', () => {
    expect(closestMatch('extrct', tasks)).toBe('extract');
    expect(closestMatch('tranform', tasks)).toBe('transform');
    expect(closestMatch('lod', tasks)).toBe('load');
  });

  it('ignores case when comparing but returns the candidate as written', () => {
    expect(closestMatch('EXTRACT', tasks)).toBe('extract');
    expect(closestMatch('europe/london', ['Europe/London', 'Europe/Paris'])).toBe('Europe/London');
  });

  it('returns undefined when nothing is close enough', () => {
    expect(closestMatch('zzzzzzz', tasks)).toBeUndefined();
    expect(closestMatch('anything', [])).toBeUndefined();
  });

  it('tolerates 2 edits for short words', () => {
    expect(closestMatch('lxxd', ['load'])).toBe('load'); // 2 edits
    expect(closestMatch('xxxd', ['load'])).toBeUndefined(); // 3 edits
  });

  it('tolerates a quarter of the word length for long words', () => {
    // 16 characters → tolerance 4; 2 substitutions + 2 insertions away.
    expect(closestMatch('publish_reXXXXrt', ['publish_report'])).toBe('publish_report');
    // 14 characters → tolerance 3.
    expect(closestMatch('pubXXXh_report', ['publish_report'])).toBe('publish_report'); // 3 edits
    expect(closestMatch('publiXXXXeport', ['publish_report'])).toBeUndefined(); // 4 edits
  });

  it('prefers the nearest candidate and keeps the first of equally near ones', () => {
    expect(closestMatch('loads', ['loaded', 'load'])).toBe('load');
    expect(closestMatch('cat', ['bat', 'hat'])).toBe('bat');
  });

  it('accepts any iterable of candidates', () => {
    expect(closestMatch('trasform', new Set(tasks))).toBe('transform');
  });
});
