import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { EXPORT_CHOICES, bratTextPath, exportPath } from '../src/logic/export.ts';

const choice = (label: string) => {
  const c = EXPORT_CHOICES.find((x) => x.label.startsWith(label));
  assert.ok(c, label);
  return c;
};

test('the export goes next to the document, named after it', () => {
  assert.equal(exportPath('/ws/papers/draft.v2.md', 'draft.v2.md', '/ws', choice('PubTator')), '/ws/papers/draft.v2.pubtator');
  assert.equal(exportPath('/ws/paper.tex', 'paper.tex', '/ws', choice('BioC')), '/ws/paper.bioc.xml');
  assert.equal(exportPath('/ws/paper.md', 'paper.md', '/ws', choice('brat')), '/ws/paper.ann');
  assert.equal(exportPath('/ws/paper.md', 'paper.md', '/ws', choice('Corrections (JSONL)')), '/ws/paper.corrections.jsonl');
});

test('an untitled buffer goes to the fallback folder under a safe name', () => {
  assert.equal(exportPath(undefined, 'Untitled-1', '/home/ana', choice('CoNLL')), '/home/ana/Untitled-1.conll');
  assert.equal(exportPath(undefined, 'a/b:c.md', '/home/ana', choice('CoNLL')), '/home/ana/a-b-c.conll');
});

// The server's export table (server/core/src/export.rs, `ExportFormat`): name → suffix.
const exportTable = readFileSync(new URL('../../../server/core/src/export.rs', import.meta.url), 'utf8');
const serverFormats = (fn: string) => {
  const body = exportTable.split(`pub fn ${fn}(self)`)[1].split('\n    }\n')[0];
  return Object.fromEntries([...body.matchAll(/ExportFormat::(\w+) => "([^"]+)"/g)].map((m) => [m[1], m[2]]));
};

test('every server export format is offered once, with the server table\'s suffix', () => {
  const names = serverFormats('name');
  const suffixes = serverFormats('suffix');
  const table = Object.keys(names).map((k) => [names[k], suffixes[k]]).sort();
  assert.ok(table.length >= 4, JSON.stringify(table));
  const doc = EXPORT_CHOICES.filter((c) => c.kind === 'document').map((c) => [c.format, c.suffix]).sort();
  assert.deepEqual(doc, table);
  const corr = EXPORT_CHOICES.filter((c) => c.kind === 'corrections').map((c) => c.format).sort();
  assert.deepEqual(corr, [...table.map(([name]) => name), 'jsonl'].sort());
  assert.equal(new Set(EXPORT_CHOICES.map((c) => c.suffix)).size, EXPORT_CHOICES.length);
});

test('a brat export gets its text beside the .ann', () => {
  assert.equal(bratTextPath('/ws/paper.ann'), '/ws/paper.txt');
  assert.equal(bratTextPath('/ws/paper.corrections.ann'), '/ws/paper.corrections.txt');
  assert.equal(bratTextPath('/ws/notes'), '/ws/notes.txt');
});
