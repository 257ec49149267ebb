import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  correctionsPaths,
  describeLaunch,
  documentSelector,
  expandPath,
  languagesFrom,
  serverLaunch,
  serverSettings,
  userValue,
} from '../src/logic/settings.ts';

test('machine settings become flags and ORT_DYLIB_PATH, blank ones are left out', () => {
  const launch = serverLaunch(
    {
      serverPath: '~/bioscope/target/release/bioscope',
      modelPath: '/models/mine',
      lexiconPath: '  ',
      onnxruntimePath: '/opt/ort/libonnxruntime.so.1.31.1',
      trainerPath: '/usr/local/bin/bioscope-train',
    },
    '/home/ana',
  );
  assert.equal(launch.command, '/home/ana/bioscope/target/release/bioscope');
  assert.deepEqual(launch.args, ['lsp', '--model', '/models/mine', '--trainer', '/usr/local/bin/bioscope-train']);
  assert.deepEqual(launch.env, { ORT_DYLIB_PATH: '/opt/ort/libonnxruntime.so.1.31.1' });
});

test("the user's corrections file is a flag, a workspace's is a setting", () => {
  const both = correctionsPaths({ defaultValue: '', globalValue: '~/notes/decisions.jsonl', workspaceValue: 'c.jsonl' });
  assert.deepEqual(both, { user: '~/notes/decisions.jsonl', workspace: 'c.jsonl' });
  assert.deepEqual(serverLaunch({}, '/home/ana', both.user).args, ['lsp', '--corrections', '/home/ana/notes/decisions.jsonl']);
  assert.deepEqual(serverLaunch({ device: 'cuda' }, '/h').args, ['lsp', '--device', 'cuda']);
  assert.deepEqual(serverLaunch({ device: 'cpu' }, '/h').args, ['lsp']);
  assert.deepEqual(serverSettings({ correctionsPath: both.workspace }), { correctionsPath: 'c.jsonl' });
  // A folder's value wins over the workspace file's; blanks are nothing.
  assert.deepEqual(correctionsPaths({ workspaceValue: 'a', workspaceFolderValue: 'b', globalValue: ' ' }), { user: undefined, workspace: 'b' });
  assert.deepEqual(correctionsPaths(undefined), { user: undefined, workspace: undefined });
});

test('without settings the server is `bioscope lsp` from PATH with no extra environment', () => {
  const launch = serverLaunch({}, '/home/ana');
  assert.deepEqual(launch, { command: 'bioscope', args: ['lsp'], env: {} });
  assert.equal(describeLaunch(launch), 'bioscope lsp');
});

test('the log line quotes paths with spaces', () => {
  const line = describeLaunch(serverLaunch({ serverPath: '/opt/my tools/bioscope', onnxruntimePath: "/o'r/t.so" }, '/h'));
  assert.equal(line, `ORT_DYLIB_PATH='/o'\\''r/t.so' '/opt/my tools/bioscope' lsp`);
});

test('expandPath handles ~ and blanks only', () => {
  assert.equal(expandPath('~', '/home/ana/'), '/home/ana/');
  assert.equal(expandPath('~/m', '/home/ana/'), '/home/ana/m');
  assert.equal(expandPath('~other/m', '/home/ana'), '~other/m');
  assert.equal(expandPath('', '/h'), undefined);
  assert.equal(expandPath(undefined, '/h'), undefined);
});

test('a workspace value of a machine setting is never used', () => {
  assert.equal(userValue({ defaultValue: '', workspaceValue: '/evil/bin', workspaceFolderValue: '/evil2' }, 'x'), '');
  assert.equal(userValue({ defaultValue: '', globalValue: '/mine', workspaceValue: '/evil' }, 'x'), '/mine');
  assert.equal(userValue(undefined, 'fallback'), 'fallback');
});

test('ordinary settings are sent as the server expects them', () => {
  const sent = serverSettings({
    enabledTypes: ['gene', 'Disease', 'Protein', 'cellline'],
    confidenceThreshold: 1.7,
    correctionsPath: ' ',
    uncertainHints: true,
    debounceMs: 80.4,
    threads: null,
  });
  assert.deepEqual(sent, {
    enabledTypes: ['Gene', 'Disease', 'CellLine'],
    confidenceThreshold: 1,
    uncertainHints: true,
    debounceMs: 80,
  });
  assert.deepEqual(serverSettings({ threads: 0, debounceMs: 99999, correctionsPath: 'notes/c.jsonl' }), {
    debounceMs: 5000,
    correctionsPath: 'notes/c.jsonl',
  });
  assert.deepEqual(serverSettings({ threads: 2, confidenceThreshold: Number.NaN }), { threads: 2 });
  const organ = { name: 'Organ', description: 'organs and tissues', color: '#aa5500' };
  assert.deepEqual(
    serverSettings({ customTypes: [organ, { name: ' ' }, null, { description: 'no name' }] as never }),
    { customTypes: [organ] },
  );
});

test('languages: the setting, deduplicated, or the defaults', () => {
  assert.deepEqual(languagesFrom(undefined), ['markdown', 'latex', 'plaintext']);
  assert.deepEqual(languagesFrom([]), ['markdown', 'latex', 'plaintext']);
  assert.deepEqual(languagesFrom(['markdown', ' quarto ', 'markdown', 3, '']), ['markdown', 'quarto']);
  assert.deepEqual(documentSelector(['tex']), [
    { language: 'tex', scheme: 'file' },
    { language: 'tex', scheme: 'untitled' },
  ]);
});
