import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  describeStatus,
  parseExport,
  parseNextUncertain,
  parseRetrain,
  parseStatus,
  parseStatusNotification,
  ProtocolError,
  serverSupports,
} from '../src/logic/protocol.ts';

// What `bioscope.status` answers (server/lsp/src/handlers/command.rs).
const STATUS = {
  model: 'bioscope-union',
  modelDir: '/repo/models/bioscope-union',
  problem: null,
  lexicon: { path: '/repo/models/lexicon', names: 1234567, concepts: 400000, bytes: 62_000_000 },
  lexiconProblem: null,
  cache: { hits: 3, misses: 2, entries: 2 },
  openDocuments: 1,
  corrections: 4,
  correctionsPath: '/ws/.bioscope/corrections.jsonl',
  correctionsChosenBy: 'workspace',
  correctionsWhere: '/ws/.bioscope/corrections.jsonl (the workspace folder)',
};

test('status: fields are read and described, problems first', () => {
  const s = parseStatus(STATUS);
  assert.equal(s.model, 'bioscope-union');
  assert.equal(s.lexicon?.names, 1234567);
  const d = describeStatus(s);
  assert.equal(d.summary, 'BioScope is running with bioscope-union.');
  assert.ok(d.detail.includes('Lexicon: /repo/models/lexicon, 1,234,567 names'));
  assert.ok(d.detail.includes('Corrections: 4, kept in /ws/.bioscope/corrections.jsonl (the workspace folder)'));
  const gpu = describeStatus(parseStatus({ ...STATUS, device: 'cpu', deviceNote: 'CUDA was asked for but …; tagging on the CPU' }));
  assert.ok(gpu.detail.includes('Model: bioscope-union (/repo/models/bioscope-union), on cpu'), gpu.detail.join('\n'));
  assert.ok(gpu.detail.includes('Device: CUDA was asked for but …; tagging on the CPU'));
  // No folder open and no home: the server says why nothing can be stored.
  const nowhere = describeStatus(
    parseStatus({ ...STATUS, corrections: 0, correctionsPath: null, correctionsWhere: 'nowhere to keep corrections: open a folder' }),
  );
  assert.ok(nowhere.detail.includes('Corrections cannot be stored: nowhere to keep corrections: open a folder'), nowhere.detail.join('\n'));

  const broken = describeStatus(
    parseStatus({ ...STATUS, model: null, problem: 'cannot load libonnxruntime: set ORT_DYLIB_PATH', lexicon: null }),
  );
  assert.equal(broken.summary, 'BioScope: cannot load libonnxruntime: set ORT_DYLIB_PATH');
  assert.equal(broken.detail[0], 'Problem: cannot load libonnxruntime: set ORT_DYLIB_PATH');
  assert.ok(broken.detail.includes('Model: none (/repo/models/bioscope-union)'));
  assert.ok(broken.detail.includes('Lexicon: none'));
});

test('a status that is not an object is an error that says so', () => {
  assert.throws(() => parseStatus('ok'), (e: unknown) => e instanceof ProtocolError && /expected an object/.test(e.message));
  assert.throws(() => parseStatus([STATUS]), ProtocolError);
});

test('export results need a string content', () => {
  assert.deepEqual(parseExport({ format: 'brat', content: 'T1\tGene 0 5\tBRCA1\n' }), {
    format: 'brat',
    content: 'T1\tGene 0 5\tBRCA1\n',
  });
  assert.deepEqual(parseExport({ format: 'brat', content: '', text: 'BRCA1 ...\n' }).text, 'BRCA1 ...\n');
  assert.throws(() => parseExport({ format: 'brat' }), /`content` should be a string/);
});

test('next uncertain: null means none, a mention is validated', () => {
  assert.equal(parseNextUncertain(null), null);
  const m = parseNextUncertain({
    uri: 'file:///ws/paper.md',
    range: { start: { line: 3, character: 10 }, end: { line: 3, character: 15 } },
    entityType: 'Gene',
    confidence: 0.31,
    text: 'BRCA1',
  });
  assert.deepEqual(m?.range.end, { line: 3, character: 15 });
  assert.equal(m?.confidence, 0.31);
  assert.throws(
    () => parseNextUncertain({ uri: 'file:///x', range: { start: { line: -1, character: 0 }, end: { line: 0, character: 1 } } }),
    /range.start/,
  );
  assert.throws(() => parseNextUncertain({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } }), /`uri`/);
});

test('retrain result', () => {
  assert.deepEqual(parseRetrain({ model: 'bioscope-union+2', bundle: '/ws/.bioscope/models/x', corrections: 12, seconds: 81.5 }), {
    model: 'bioscope-union+2',
    bundle: '/ws/.bioscope/models/x',
    corrections: 12,
    seconds: 81.5,
  });
  assert.throws(() => parseRetrain({ bundle: '/x' }), /`model`/);
});

test('status notifications: unknown activities read as idle, percentages are clamped', () => {
  assert.deepEqual(parseStatusNotification({ activity: 'retraining', model: 'm', message: 'epoch 1', percentage: 140 }), {
    activity: 'retraining',
    model: 'm',
    message: 'epoch 1',
    percentage: 100,
  });
  assert.equal(parseStatusNotification({ activity: 'dreaming' }).activity, 'idle');
  assert.equal(parseStatusNotification({ activity: 'tagging', percentage: 'x' }).percentage, null);
});

test('serverSupports reads the advertised command list', () => {
  assert.equal(serverSupports(['bioscope.status', 'bioscope.retrain'], 'bioscope.retrain'), true);
  assert.equal(serverSupports(['bioscope.status'], 'bioscope.nextUncertain'), false);
  assert.equal(serverSupports(undefined, 'bioscope.status'), false);
});
