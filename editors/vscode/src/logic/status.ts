/**
 * The status bar item's state and text: the model's name once the server has started, and what
 * the server is doing from its `bioscope/status` notifications (a spinner while it loads, tags
 * or retrains, with a percentage when it sends one).
 * No `vscode` import: this module is unit-tested under plain Node.
 */

import type { Activity, StatusNotification } from './protocol';

export type Phase = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusState {
  phase: Phase;
  model: string | null;
  /** The model could not be loaded (from bioscope.status). */
  problem: string | null;
  activity: Activity;
  message: string | null;
  percentage: number | null;
}

export const INITIAL_STATUS: StatusState = {
  phase: 'starting',
  model: null,
  problem: null,
  activity: 'idle',
  message: null,
  percentage: null,
};

/** The state after a `bioscope/status` notification (the model name is kept when it is null). */
export function applyNotification(state: StatusState, n: StatusNotification): StatusState {
  return {
    ...state,
    phase: 'running',
    activity: n.activity,
    model: n.model ?? state.model,
    message: n.message,
    percentage: n.activity === 'idle' ? null : n.percentage,
  };
}

export interface StatusBarView {
  text: string;
  tooltip: string;
  /** `warning` and `error` map to the status bar's background colours. */
  severity: 'normal' | 'warning' | 'error';
}

const VERB: Record<Activity, string> = { idle: '', loading: 'loading', tagging: 'tagging', retraining: 'retraining' };

export function statusBarView(s: StatusState): StatusBarView {
  const click = 'Click for the server status.';
  switch (s.phase) {
    case 'starting':
      return { text: '$(loading~spin) BioScope', tooltip: `BioScope: starting the server. ${click}`, severity: 'normal' };
    case 'stopped':
      return { text: '$(circle-slash) BioScope', tooltip: 'BioScope: the server is stopped. Run "BioScope: Restart Server".', severity: 'warning' };
    case 'failed':
      return {
        text: '$(error) BioScope',
        tooltip: `BioScope: the server could not start${s.message ? `: ${s.message}` : ''}. ${click}`,
        severity: 'error',
      };
    case 'running':
      break;
  }
  const model = s.model ?? 'no model';
  if (s.activity !== 'idle') {
    const pct = s.percentage !== null ? ` ${Math.round(s.percentage)}%` : '';
    const what = s.message ? `: ${s.message}` : '';
    return {
      text: `$(sync~spin) BioScope: ${VERB[s.activity]}${pct}`,
      tooltip: `BioScope (${model}) is ${VERB[s.activity]}${what}. ${click}`,
      severity: 'normal',
    };
  }
  if (s.problem || s.model === null) {
    return {
      text: `$(warning) BioScope: ${model}`,
      tooltip: `BioScope: ${s.problem ?? 'no model is loaded'}. ${click}`,
      severity: 'warning',
    };
  }
  return { text: `$(beaker) BioScope: ${model}`, tooltip: `BioScope: model ${model}. ${click}`, severity: 'normal' };
}
