import { describeCron } from './cron-description';
import { parseCron } from './cron-expression';

const describe_ = (expression: string) => describeCron(parseCron(expression));

describe('describeCron', () => {
  describe('fixed daily times say "every day"', () => {
    it.each([
      ['0 2 * * *', 'At 02:00, every day'],
      ['0 0 * * *', 'At 00:00, every day'],
      ['0 12 * * *', 'At 12:00, every day'],
      ['45 23 * * *', 'At 23:45, every day'],
      ['@daily', 'At 00:00, every day'],
      ['@midnight', 'At 00:00, every day'],
      ['30 0 2 * * *', 'At 02:00:30, every day'],
      ['0 2 ? * ?', 'At 02:00, every day'],
    ])('%s → %s', (expression, text) => {
      expect(describe_(expression)).toBe(text);
    });

    it('uses the 24-hour clock (no AM/PM)', () => {
      const text = describe_('30 17 * * *');
      expect(text).toBe('At 17:30, every day');
      expect(text).not.toMatch(/AM|PM/);
    });

    it('adds "every day" to several fixed times too', () => {
      expect(describe_('0,30 9 * * *')).toBe('At 0 and 30 minutes past the hour, at 09:00, every day');
    });
  });

  describe('repeating schedules', () => {
    it.each([
      ['*/15 * * * *', 'Every 15 minutes'],
      ['* * * * *', 'Every minute'],
      ['@hourly', 'Every hour'],
      ['0 */2 * * *', 'On the hour, every 2 hours'],
      ['5/15 * * * *', 'Every 15 minutes, starting at 5 minutes past the hour'],
      ['*/10 * * * * *', 'Every 10 seconds'],
    ])('%s → %s (no "every day" for wildcard times)', (expression, text) => {
      expect(describe_(expression)).toBe(text);
    });
  });

  describe('weekdays', () => {
    it.each([
      ['0 9 * * 1-5', 'At 09:00, Monday through Friday'],
      ['0 9 * * MON-FRI', 'At 09:00, Monday through Friday'],
      ['0 9 * * mon-fri', 'At 09:00, Monday through Friday'],
      ['0 22 * * 1-5', 'At 22:00, Monday through Friday'],
      ['0 5 * * 5-7', 'At 05:00, Friday through Sunday'],
      ['0 5 * * SAT,SUN', 'At 05:00, only on Saturday and Sunday'],
      ['0 5 * * 6,7', 'At 05:00, only on Saturday and Sunday'],
      ['30 6 * * 7', 'At 06:30, only on Sunday'],
      ['0 0 * * 0', 'At 00:00, only on Sunday'],
      ['@weekly', 'At 00:00, only on Sunday'],
      ['0 9 ? * MON', 'At 09:00, only on Monday'],
    ])('%s → %s', (expression, text) => {
      expect(describe_(expression)).toBe(text);
    });
  });

  describe('days of the month and months', () => {
    it.each([
      ['0 0 1 * *', 'At 00:00, on day 1 of the month'],
      ['@monthly', 'At 00:00, on day 1 of the month'],
      ['15 14 1 * *', 'At 14:15, on day 1 of the month'],
      ['@yearly', 'At 00:00, on day 1 of the month, only in January'],
      ['0 2 29 2 *', 'At 02:00, on day 29 of the month, only in February'],
      ['0 2 * 1 *', 'At 02:00, only in January'],
      ['0 9 1 * 1', 'At 09:00, on day 1 of the month, and on Monday'],
    ])('%s → %s', (expression, text) => {
      expect(describe_(expression)).toBe(text);
    });

    it('does not claim "every day" when a day or month field is restricted', () => {
      for (const expression of ['0 2 1 * *', '0 2 * 1 *', '0 2 * * 1', '0 2 1-31 * *', '0 2 * * 0-6']) {
        expect(describe_(expression)).not.toMatch(/every day/);
      }
    });

    it('does not claim "every day" for a star step in a day field (it skips days)', () => {
      expect(describe_('0 0 */2 * *')).toBe('At 00:00, every 2 days in a month');
      expect(describe_('0 0 * * */2')).toBe('At 00:00, every 2 days of the week');
      expect(describe_('30 2 */10 * *')).not.toMatch(/every day/);
    });

    it('still says "every day" for a star step that covers every day and month', () => {
      expect(describe_('0 0 */1 * *')).toBe('At 00:00, every day');
      expect(describe_('0 0 * */1 *')).toBe('At 00:00, every day');
    });
  });
});
