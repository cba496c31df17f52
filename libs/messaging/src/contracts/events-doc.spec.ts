import { readFileSync } from 'fs';
import { join } from 'path';
import { getMetadataStorage } from 'class-validator';
import { DEFAULT_TOPIC_PREFIX, TOPICS, TopicName } from '../topics';
import { CONTRACTS, decodeMessage } from './decode';

/** docs/events.md must stay true to the contracts: its examples decode, its field tables match the classes. */
const DOC = readFileSync(join(__dirname, '../../../../docs/events.md'), 'utf8');
const CATALOG = Object.values(TOPICS) as string[];
const CONTRACT_TOPICS = Object.keys(CONTRACTS) as TopicName[];

/** `### Example: tributary.<topic>` followed by a ```json block → topic → the block's text. */
function examples(md: string): Map<string, string> {
  const found = new Map<string, string>();
  const re = /^### Example: tributary\.(\S+)[ \t]*\n\s*```json[ \t]*\n([\s\S]*?)\n```/gm;
  for (const [, topic, json] of md.matchAll(re)) {
    if (found.has(topic)) throw new Error(`two examples for tributary.${topic}`);
    found.set(topic, json);
  }
  return found;
}

/** The body of the `## tributary.<topic>` section (backticks around the name allowed), up to the next `## `. */
function section(md: string, topic: string): string | undefined {
  return md
    .split(/^## /m)
    .find((chunk) => chunk.split('\n', 1)[0].trim().replace(/`/g, '') === `${DEFAULT_TOPIC_PREFIX}${topic}`);
}

/** First-column names of the `| field | type | required | meaning |` table, backticks stripped. */
function fieldTable(body: string): string[] {
  const lines = body.split('\n');
  const header = lines.findIndex((l) => /^\|\s*field\s*\|/.test(l));
  if (header < 0) return [];
  const names: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    names.push(line.split('|')[1].trim().replace(/`/g, ''));
  }
  return names;
}

/** Every property class-validator checks on a class (inherited ones included). */
function validatedProperties(target: new () => object): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(target, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))].sort();
}

/** The declared class of a property (TypeScript's design:type metadata), e.g. the payload class of an envelope. */
function propertyClass(target: new () => object, property: string): new () => object {
  const type = Reflect.getMetadata('design:type', target.prototype, property);
  if (typeof type !== 'function' || type === Object) {
    throw new Error(`${target.name}.${property} has no declared class`);
  }
  return type;
}

describe('docs/events.md', () => {
  const found = examples(DOC);

  it('has a json block under every "### Example:" heading, and only for catalog topics', () => {
    const headings = DOC.match(/^### Example: .*$/gm) ?? [];
    expect(headings).toHaveLength(found.size);
    for (const topic of found.keys()) expect(CATALOG).toContain(topic);
  });

  it('has an example for every topic with a contract, and none for topics without one', () => {
    expect([...found.keys()].sort()).toEqual([...CONTRACT_TOPICS].sort());
  });

  it.each(CONTRACT_TOPICS)('its tributary.%s example decodes', (topic) => {
    const json = found.get(topic);
    expect(json).toBeDefined();
    const event = decodeMessage(topic, JSON.stringify(JSON.parse(json!)));
    expect(event.type).toBe(CONTRACTS[topic]!.type);
  });

  it.each(CONTRACT_TOPICS)('its tributary.%s field table lists exactly the payload properties', (topic) => {
    const body = section(DOC, topic);
    expect(body).toBeDefined();
    const rows = fieldTable(body!);
    expect(rows.length).toBeGreaterThan(0);
    const payload = propertyClass(CONTRACTS[topic]!.envelope, 'payload');

    const topLevel = rows.filter((name) => !name.includes('.'));
    expect([...topLevel].sort()).toEqual(validatedProperties(payload));

    // Nested rows (`source.dagId`) document the fields of a nested payload class, completely.
    const parents = [...new Set(rows.filter((n) => n.includes('.')).map((n) => n.split('.')[0]))];
    for (const parent of parents) {
      expect(topLevel).toContain(parent);
      const documented = rows
        .filter((n) => n.startsWith(`${parent}.`))
        .map((n) => n.slice(parent.length + 1));
      expect([...documented].sort()).toEqual(validatedProperties(propertyClass(payload, parent)));
    }
  });

  it('says plainly that the topics without a contract have none yet', () => {
    for (const topic of CATALOG.filter((t) => !CONTRACT_TOPICS.includes(t as TopicName))) {
      expect(section(DOC, topic)).toMatch(/no\s+message\s+contract\s+yet/);
    }
  });
});
