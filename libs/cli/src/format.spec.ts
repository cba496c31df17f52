import {
  ProgressLine,
  formatDuration,
  formatFields,
  formatInstant,
  formatLogicalDate,
  formatRangeEnd,
  formatTable,
  progressBar,
  truncate,
} from './format';

describe('formatTable', () => {
  it('lines columns up with two spaces, `-` for empty cells and no trailing spaces', () => {
    expect(
      formatTable(
        ['DAG', 'PAUSED', 'NEXT RUN'],
        [
          ['daily_revenue', false, '2026-04-26 02:00:00 PDT'],
          ['x', true, null],
        ],
      ),
    ).toBe(
      [
        'DAG            PAUSED  NEXT RUN',
        'daily_revenue  no      2026-04-26 02:00:00 PDT',
        'x              yes     -',
      ].join('\n'),
    );
  });

  it('indents, keeps numbers, and flattens line breaks inside a cell', () => {
    expect(formatTable(['TRY', 'ERROR'], [[1, 'boom\n  at x']], { indent: '  ' })).toBe(
      ['  TRY  ERROR', '  1    boom at x'].join('\n'),
    );
  });
});

describe('formatFields', () => {
  it('aligns values and leaves out empty ones', () => {
    expect(
      formatFields([
        ['schedule', 'every day'],
        ['owner', null],
        ['max active runs', 4],
      ]),
    ).toBe(['  schedule:         every day', '  max active runs:  4'].join('\n'));
  });
});

describe('times', () => {
  it('prints an instant in a zone with its abbreviation, across DST', () => {
    expect(formatInstant('2026-04-25T09:00:00Z', 'America/Los_Angeles')).toBe('2026-04-25 02:00:00 PDT');
    expect(formatInstant('2026-01-25T10:00:00Z', 'America/Los_Angeles')).toBe('2026-01-25 02:00:00 PST');
    expect(formatInstant('2026-01-25T10:00:00Z')).toBe('2026-01-25 10:00:00 UTC');
    expect(formatInstant(null)).toBe('-');
  });

  it('prints a logical date as the day alone when it is midnight in the zone', () => {
    expect(formatLogicalDate('2026-04-25T07:00:00.000Z', 'America/Los_Angeles')).toBe('2026-04-25');
    expect(formatLogicalDate('2026-04-25T09:00:00.000Z', 'America/Los_Angeles')).toBe('2026-04-25 02:00 PDT');
    expect(formatLogicalDate('2026-04-25T00:00:00Z', 'UTC')).toBe('2026-04-25');
    expect(formatLogicalDate('not a date', 'UTC')).toBe('not a date');
  });

  it('an unknown zone falls back to UTC rather than failing', () => {
    expect(formatInstant('2026-04-25T09:00:00Z', 'Mars/Olympus')).toBe('2026-04-25 09:00:00 UTC');
  });

  it.each([
    [450, '450ms'],
    [4_200, '4.2s'],
    [42_000, '42s'],
    [185_000, '3m 05s'],
    [7_380_000, '2h 03m'],
    [273_600_000, '3d 4h'],
    [null, '-'],
  ])('formatDuration(%p) is %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('progress', () => {
  it('draws a bar of a fixed width', () => {
    expect(progressBar(0)).toBe(`[${'.'.repeat(30)}]`);
    expect(progressBar(0.5, 10)).toBe('[#####.....]');
    expect(progressBar(2, 4)).toBe('[####]');
  });

  it('on a terminal, redraws one line in place and ends it with a newline', () => {
    const out: string[] = [];
    const line = new ProgressLine((t) => out.push(t), true);
    line.update('long line 10%', 0.1);
    line.update('short 20%', 0.2);
    line.finish('done 100%');
    expect(out).toEqual(['\rlong line 10%', '\rshort 20%    ', '\rdone 100%', '\n']);
  });

  it('elsewhere (CI, a pipe), writes one whole line per 10% and always the last one', () => {
    const out: string[] = [];
    const line = new ProgressLine((t) => out.push(t), false);
    for (const fraction of [0, 0.04, 0.09, 0.1, 0.15, 0.35, 0.36, 0.99]) line.update(`${fraction}`, fraction);
    line.finish('1');
    expect(out).toEqual(['0\n', '0.1\n', '0.35\n', '0.99\n', '1\n']);
  });
});

describe('truncate', () => {
  it('cuts long text with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});

describe('formatRangeEnd', () => {
  it('shows a whole-day end as the day, in the zone', () => {
    expect(formatRangeEnd('2026-11-17T07:59:59.999Z', 'America/Los_Angeles')).toBe('2026-11-16');
    expect(formatRangeEnd('2026-04-05T23:59:59.999Z', 'UTC')).toBe('2026-04-05');
  });
  it('shows any other end like a logical date', () => {
    expect(formatRangeEnd('2026-04-05T00:00:00.000Z', 'UTC')).toBe('2026-04-05');
    expect(formatRangeEnd('2026-04-05T14:00:00.000Z', 'UTC')).toBe('2026-04-05 14:00 UTC');
  });
});
