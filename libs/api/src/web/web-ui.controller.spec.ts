import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { findWebRoot, resolveWebFile } from './web-ui.controller';

describe('web UI files', () => {
  const repo = path.resolve(__dirname, '..', '..', '..', '..');

  it('finds libs/api/web from the sources (ts-jest) and from the compiled output', () => {
    expect(findWebRoot(__dirname)).toBe(path.join(repo, 'libs', 'api', 'web'));
    expect(findWebRoot(path.join(repo, 'dist', 'libs', 'api', 'src', 'web'))).toBe(
      path.join(repo, 'libs', 'api', 'web'),
    );
  });

  it('finds the files an image copies next to dist (the Dockerfile runtime stage)', () => {
    const app = mkdtempSync(path.join(tmpdir(), 'tributary-web-'));
    try {
      mkdirSync(path.join(app, 'libs', 'api', 'web'), { recursive: true });
      writeFileSync(path.join(app, 'libs', 'api', 'web', 'index.html'), '<!doctype html>');
      expect(findWebRoot(path.join(app, 'dist', 'libs', 'api', 'src', 'web'))).toBe(
        path.join(app, 'libs', 'api', 'web'),
      );
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('resolves files inside the web folder and nothing outside it', () => {
    const root = '/srv/web';
    expect(resolveWebFile(root, ['app.js'])).toBe('/srv/web/app.js');
    expect(resolveWebFile(root, ['img', 'logo.svg'])).toBe('/srv/web/img/logo.svg');
    for (const segments of [
      [],
      ['..', 'package.json'],
      ['a', '..', '..', 'x'],
      ['..%2f'],
      ['a/../../b'],
      ['a\\..\\b'],
      ['.env'],
      ['x\0.js'],
      [''],
    ]) {
      expect([segments, resolveWebFile(root, segments)]).toEqual([segments, null]);
    }
  });
});
