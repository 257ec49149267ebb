import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyNotification, INITIAL_STATUS, statusBarView, type StatusState } from '../src/logic/status.ts';

const running: StatusState = { ...INITIAL_STATUS, phase: 'running', model: 'bioscope-union' };

test('idle shows the model name', () => {
  const v = statusBarView(running);
  assert.equal(v.text, '$(beaker) BioScope: bioscope-union');
  assert.equal(v.severity, 'normal');
});

test('tagging and retraining spin, with a percentage when there is one', () => {
  const tagging = applyNotification(running, { activity: 'tagging', model: null, message: 'paper.md', percentage: null });
  assert.equal(statusBarView(tagging).text, '$(sync~spin) BioScope: tagging');
  assert.match(statusBarView(tagging).tooltip, /bioscope-union\) is tagging: paper\.md/);
  const retraining = applyNotification(tagging, { activity: 'retraining', model: null, message: null, percentage: 42.6 });
  assert.equal(statusBarView(retraining).text, '$(sync~spin) BioScope: retraining 43%');
  const done = applyNotification(retraining, { activity: 'idle', model: 'bioscope-union+1', message: null, percentage: 12 });
  assert.equal(done.percentage, null);
  assert.equal(statusBarView(done).text, '$(beaker) BioScope: bioscope-union+1');
});

test('a model problem or no model warns', () => {
  const v = statusBarView({ ...running, model: null, problem: 'ORT_DYLIB_PATH is not set' });
  assert.equal(v.text, '$(warning) BioScope: no model');
  assert.match(v.tooltip, /ORT_DYLIB_PATH is not set/);
  assert.equal(v.severity, 'warning');
});

test('starting, stopped and failed', () => {
  assert.equal(statusBarView(INITIAL_STATUS).text, '$(loading~spin) BioScope');
  assert.equal(statusBarView({ ...running, phase: 'stopped' }).severity, 'warning');
  const failed = statusBarView({ ...INITIAL_STATUS, phase: 'failed', message: 'spawn bioscope ENOENT' });
  assert.equal(failed.severity, 'error');
  assert.match(failed.tooltip, /spawn bioscope ENOENT/);
});
