import * as fs from 'fs/promises';
import fg from 'fast-glob';
import type { FileSensorSpec } from '@tributary/domain';
import type { CheckOptions, CheckOutcome } from './sensor-checker';

/** Reasons shown for files that matched but did not qualify: enough to see the pattern, short enough to read. */
const REASONS_SHOWN = 3;

interface Candidate {
  path: string;
  size: number;
}

/**
 * A file sensor's check: some file at `path` (a plain path or a glob) exists and satisfies
 * every content condition. Existence alone is not enough when a condition is given: a file
 * that is still being written exists long before it is complete.
 */
export async function checkFile(check: FileSensorSpec, options: CheckOptions = {}): Promise<CheckOutcome> {
  let pattern: RegExp | undefined;
  if (check.contains !== undefined) {
    try {
      pattern = new RegExp(check.contains);
    } catch (error) {
      return { status: 'failed', message: `invalid 'contains' pattern: ${(error as Error).message}` };
    }
  }

  const found = await findCandidates(check.path);
  if ('waiting' in found) return { status: 'waiting', message: found.waiting };
  const candidates = found.files;

  const reasons: string[] = [];
  for (const candidate of candidates) {
    if (options.signal?.aborted) return { status: 'waiting', message: 'check aborted' };
    const reason = await disqualification(candidate, check, pattern, options);
    if (reason === null) {
      return {
        status: 'met',
        details: { path: candidate.path, size: candidate.size, matches: candidates.length },
      };
    }
    reasons.push(reason);
  }

  if (candidates.length === 1) return { status: 'waiting', message: reasons[0] };
  const shown = reasons.slice(0, REASONS_SHOWN).join('; ');
  const more = reasons.length > REASONS_SHOWN ? `; and ${reasons.length - REASONS_SHOWN} more` : '';
  return {
    status: 'waiting',
    message: `none of the ${candidates.length} files matching ${check.path} qualifies: ${shown}${more}`,
  };
}

/** The regular files the path names, in a stable order, or why there are none. */
async function findCandidates(path: string): Promise<{ files: Candidate[] } | { waiting: string }> {
  if (fg.isDynamicPattern(path)) {
    let entries: fg.Entry[];
    try {
      entries = await fg(path, { absolute: true, onlyFiles: true, stats: true, suppressErrors: true });
    } catch (error) {
      return { waiting: `cannot list ${path}: ${(error as Error).message}` };
    }
    if (entries.length === 0) return { waiting: `no file matches ${path}` };
    const files = entries
      .map((entry) => ({ path: entry.path, size: entry.stats?.size ?? 0 }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { files };
  }

  try {
    const stats = await fs.stat(path);
    if (!stats.isFile()) return { waiting: `${path} is not a regular file` };
    return { files: [{ path, size: stats.size }] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { waiting: `${path} does not exist` };
    return { waiting: `cannot stat ${path}: ${(error as Error).message}` };
  }
}

/** Why this file does not satisfy the conditions, or null when it does. */
async function disqualification(
  candidate: Candidate,
  check: FileSensorSpec,
  pattern: RegExp | undefined,
  options: CheckOptions,
): Promise<string | null> {
  if (check.minSize !== undefined && candidate.size < check.minSize) {
    return `${candidate.path} is ${candidate.size} bytes; needs at least ${check.minSize}`;
  }
  const contentCheck = options.code?.content;
  if (pattern === undefined && contentCheck === undefined) return null;

  let content: Buffer;
  try {
    content = await fs.readFile(candidate.path, { signal: options.signal });
  } catch (error) {
    return `cannot read ${candidate.path}: ${(error as Error).message}`;
  }
  // The file may have grown since it was listed: report what was actually checked.
  candidate.size = content.length;
  if (check.minSize !== undefined && content.length < check.minSize) {
    return `${candidate.path} is ${content.length} bytes; needs at least ${check.minSize}`;
  }
  if (pattern !== undefined && !pattern.test(content.toString('utf8'))) {
    return `${candidate.path} does not contain /${pattern.source}/`;
  }
  if (contentCheck !== undefined) {
    try {
      if (!(await contentCheck(content, candidate.path))) {
        return `${candidate.path} does not pass the sensor's content check`;
      }
    } catch (error) {
      // A half-written file often makes a parser throw: that is "not yet", not a failure.
      return `the sensor's content check threw on ${candidate.path}: ${(error as Error).message}`;
    }
  }
  return null;
}
