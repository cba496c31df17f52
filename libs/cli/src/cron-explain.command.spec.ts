import { CliError } from './cli-error';
import { explainCron, formatCronExplanation } from './cron-explain.command';
import { runCli } from './program';

describe('explainCron', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  it('lists fires after now by default, five of them, in UTC', () => {
    const result = explainCron({ expression: '0 2 * * *', now });
    expect(result.timezone).toBe('UTC');
    expect(result.description).toBe('At 02:00, every day');
    expect(result.next.map((f) => f.utc)).toEqual([
      '2026-06-01T02:00:00Z',
      '2026-06-02T02:00:00Z',
      '2026-06-03T02:00:00Z',
      '2026-06-04T02:00:00Z',
      '2026-06-05T02:00:00Z',
    ]);
  });

  it('reads a date-only --from in the --tz zone', () => {
    const result = explainCron({
      expression: '0 0 * * *',
      timezone: 'Asia/Tokyo',
      from: '2026-06-10',
      count: 1,
    });
    // Midnight Tokyo on 06-10 is the instant --from names; the next fire is the midnight after.
    expect(result.next).toEqual([
      { local: '2026-06-11T00:00:00+09:00', utc: '2026-06-10T15:00:00Z', dst: null },
    ]);
  });

  it.each([
    [{ expression: '0 0 31 4 *' }, 'day-of-month: 31 never occurs in APR'],
    [{ expression: '@reboot' }, "expression: unknown alias '@reboot'"],
    [{ expression: '0 0 * * *', count: 'many' }, "--count: 'many' is not allowed"],
    [{ expression: '0 0 * * *', timezone: 'Europe/Londn' }, "did you mean 'Europe/London'?"],
  ])('turns bad input %j into a CliError with exit code 2', (input, message) => {
    expect(() => explainCron({ now, ...input })).toThrow(CliError);
    try {
      explainCron({ now, ...input });
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
      expect((error as CliError).message).toContain(message);
    }
  });

  it('formats a readable table with DST notes under the moved fire', () => {
    const text = formatCronExplanation(
      explainCron({
        expression: '0 1 * * *',
        timezone: 'Europe/London',
        from: '2026-03-28T12:00:00Z',
        count: 2,
      }),
    );
    expect(text.split('\n')).toEqual([
      '0 1 * * *',
      '  At 01:00, every day',
      '  timezone: Europe/London',
      '',
      'Next 2 fires:',
      '  Europe/London               UTC',
      '  2026-03-29T02:00:00+01:00   2026-03-29T01:00:00Z   * DST',
      expect.stringMatching(/^ {6}DST: 01:00 does not exist on 2026-03-29 in Europe\/London/),
      '  2026-03-30T01:00:00+01:00   2026-03-30T00:00:00Z',
    ]);
  });
});

describe('runCli', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) } };
  };

  it('returns 0 and prints JSON for cron explain --json', async () => {
    const { out, io } = capture();
    const code = await runCli(
      ['cron', 'explain', '*/30 * * * *', '--from', '2026-01-01T00:00:00Z', '--count', '2', '--json'],
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.join('')).next.map((f: { utc: string }) => f.utc)).toEqual([
      '2026-01-01T00:30:00Z',
      '2026-01-01T01:00:00Z',
    ]);
  });

  it('returns 2 for an unknown command and for a missing argument', async () => {
    expect(await runCli(['nope'], capture().io)).toBe(2);
    expect(await runCli(['cron', 'explain'], capture().io)).toBe(2);
  });

  it('returns 0 for --help', async () => {
    const { out, io } = capture();
    expect(await runCli(['cron', 'explain', '--help'], io)).toBe(0);
    expect(out.join('')).toContain('--tz <zone>');
  });
});
