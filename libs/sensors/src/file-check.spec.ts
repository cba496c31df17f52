import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkFile } from './file-check';

describe('checkFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-sensor-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  };

  it('waits for a plain path that does not exist', async () => {
    const file = path.join(dir, 'missing.csv');
    expect(await checkFile({ path: file })).toEqual({ status: 'waiting', message: `${file} does not exist` });
  });

  it('is met by a plain path that exists, with its size', async () => {
    const file = write('a.csv', 'id\n1\n');
    expect(await checkFile({ path: file })).toEqual({
      status: 'met',
      details: { path: file, size: 5, matches: 1 },
    });
  });

  it('does not take a directory for a file', async () => {
    fs.mkdirSync(path.join(dir, 'sub'));
    const outcome = await checkFile({ path: path.join(dir, 'sub') });
    expect(outcome).toEqual({ status: 'waiting', message: `${path.join(dir, 'sub')} is not a regular file` });
  });

  it('waits while no file matches a glob, then is met by the first match in path order', async () => {
    const pattern = path.join(dir, '2026-04-25', '*.csv');
    expect(await checkFile({ path: pattern })).toEqual({
      status: 'waiting',
      message: `no file matches ${pattern}`,
    });
    write('2026-04-25/b.csv', 'bb');
    write('2026-04-25/a.csv', 'a');
    write('2026-04-25/ignored.txt', 'x');
    fs.mkdirSync(path.join(dir, '2026-04-25', 'dir.csv'));
    expect(await checkFile({ path: pattern })).toEqual({
      status: 'met',
      details: { path: path.join(dir, '2026-04-25', 'a.csv'), size: 1, matches: 2 },
    });
  });

  it('waits for a file that is still too small, saying how small', async () => {
    const file = write('a.csv', '');
    expect(await checkFile({ path: file, minSize: 10 })).toEqual({
      status: 'waiting',
      message: `${file} is 0 bytes; needs at least 10`,
    });
    fs.writeFileSync(file, '0123456789');
    expect(await checkFile({ path: file, minSize: 10 })).toMatchObject({
      status: 'met',
      details: { path: file, size: 10 },
    });
  });

  it('is met by any matching file that qualifies, and lists why the others do not', async () => {
    const pattern = path.join(dir, '*.csv');
    write('a.csv', 'x');
    write('b.csv', 'y');
    const waiting = await checkFile({ path: pattern, minSize: 3 });
    expect(waiting).toEqual({
      status: 'waiting',
      message:
        `none of the 2 files matching ${pattern} qualifies: ` +
        `${path.join(dir, 'a.csv')} is 1 bytes; needs at least 3; ${path.join(dir, 'b.csv')} is 1 bytes; needs at least 3`,
    });
    write('c.csv', 'complete');
    expect(await checkFile({ path: pattern, minSize: 3 })).toEqual({
      status: 'met',
      details: { path: path.join(dir, 'c.csv'), size: 8, matches: 3 },
    });
  });

  it('matches `contains` as a regular expression over the content', async () => {
    const file = write('done.json', '{"rows": 12');
    expect(await checkFile({ path: file, contains: '\\}\\s*$' })).toEqual({
      status: 'waiting',
      message: `${file} does not contain /\\}\\s*$/`,
    });
    fs.appendFileSync(file, '}\n');
    expect(await checkFile({ path: file, contains: '\\}\\s*$' })).toMatchObject({ status: 'met' });
  });

  it('fails at once on a `contains` pattern that is not a regular expression', async () => {
    const outcome = await checkFile({ path: write('a', 'x'), contains: '(' });
    expect(outcome.status).toBe('failed');
    expect((outcome as { message: string }).message).toMatch(/invalid 'contains' pattern/);
  });

  it("runs the sensor's content function on the file's bytes and path", async () => {
    const file = write('rows.json', '{"rows": [1, 2');
    const seen: string[] = [];
    const content = (buffer: Buffer, where: string) => {
      seen.push(where);
      return (JSON.parse(buffer.toString('utf8')) as { rows: number[] }).rows.length === 2;
    };
    const halfWritten = await checkFile({ path: file }, { code: { content } });
    // A parser that throws on a half-written file means "not yet".
    expect(halfWritten.status).toBe('waiting');
    expect((halfWritten as { message: string }).message).toMatch(`content check threw on ${file}`);

    fs.writeFileSync(file, '{"rows": [1]}');
    expect(await checkFile({ path: file }, { code: { content } })).toEqual({
      status: 'waiting',
      message: `${file} does not pass the sensor's content check`,
    });
    fs.writeFileSync(file, '{"rows": [1, 2]}');
    expect(await checkFile({ path: file }, { code: { content } })).toMatchObject({ status: 'met' });
    expect(seen).toEqual([file, file, file]);
  });

  it('checks content only on files that pass minSize', async () => {
    write('a.csv', 'x');
    const file = write('b.csv', 'header,done');
    const content = jest.fn(() => true);
    const outcome = await checkFile(
      { path: path.join(dir, '*.csv'), minSize: 5, contains: 'done' },
      { code: { content } },
    );
    expect(outcome).toEqual({ status: 'met', details: { path: file, size: 11, matches: 2 } });
    expect(content).toHaveBeenCalledTimes(1);
  });
});
