/**
 * What the server answers, checked: the executeCommand ids it handles, the shapes of their
 * results and of the `bioscope/status` notification. A malformed answer becomes an error that
 * says what was expected, never a crash further down.
 * No `vscode` import: this module is unit-tested under plain Node.
 */

/** Server command ids (workspace/executeCommand). The extension's own ids must differ from these. */
export const SERVER_COMMANDS = {
  status: 'bioscope.status',
  applyCorrection: 'bioscope.applyCorrection',
  exportDocument: 'bioscope.exportDocument',
  exportCorrections: 'bioscope.exportCorrections',
  nextUncertain: 'bioscope.nextUncertain',
  retrain: 'bioscope.retrain',
} as const;

/** The extension's commands (package.json `contributes.commands`). */
export const EXTENSION_COMMANDS = {
  retrain: 'bioscope.retrainModel',
  export: 'bioscope.exportAnnotations',
  nextUncertain: 'bioscope.goToNextUncertain',
  restart: 'bioscope.restartServer',
  showLog: 'bioscope.showLog',
  showStatus: 'bioscope.showStatus',
} as const;

export const STATUS_NOTIFICATION = 'bioscope/status';

export class ProtocolError extends Error {}

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what}: expected an object from the server, got ${JSON.stringify(value)}`);
  }
  return value as Json;
}

function str(o: Json, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ProtocolError(`${what}: \`${key}\` should be a string, got ${JSON.stringify(v)}`);
  return v;
}

function optStr(o: Json, key: string): string | null {
  const v = o[key];
  return typeof v === 'string' ? v : null;
}

function optNum(o: Json, key: string): number | null {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export interface ServerStatus {
  model: string | null;
  modelDir: string | null;
  problem: string | null;
  lexicon: { path: string; names: number | null; concepts: number | null } | null;
  lexiconProblem: string | null;
  /** Where the model runs, and why not where asked. */
  device: string | null;
  deviceNote: string | null;
  openDocuments: number | null;
  corrections: number | null;
  correctionsPath: string | null;
  /** Where corrections go and why there, or why they cannot be stored. */
  correctionsWhere: string | null;
  cache: { hits: number; misses: number; entries: number } | null;
}

export function parseStatus(value: unknown): ServerStatus {
  const o = object(value, 'bioscope.status');
  const lex = o.lexicon;
  const cache = o.cache;
  let lexicon: ServerStatus['lexicon'] = null;
  if (typeof lex === 'object' && lex !== null) {
    const l = lex as Json;
    lexicon = { path: optStr(l, 'path') ?? '', names: optNum(l, 'names'), concepts: optNum(l, 'concepts') };
  }
  let cacheStats: ServerStatus['cache'] = null;
  if (typeof cache === 'object' && cache !== null) {
    const c = cache as Json;
    cacheStats = { hits: optNum(c, 'hits') ?? 0, misses: optNum(c, 'misses') ?? 0, entries: optNum(c, 'entries') ?? 0 };
  }
  return {
    model: optStr(o, 'model'),
    modelDir: optStr(o, 'modelDir'),
    problem: optStr(o, 'problem'),
    lexicon,
    lexiconProblem: optStr(o, 'lexiconProblem'),
    device: optStr(o, 'device'),
    deviceNote: optStr(o, 'deviceNote'),
    openDocuments: optNum(o, 'openDocuments'),
    corrections: optNum(o, 'corrections'),
    correctionsPath: optStr(o, 'correctionsPath'),
    correctionsWhere: optStr(o, 'correctionsWhere'),
    cache: cacheStats,
  };
}

export interface ExportResult {
  format: string;
  content: string;
  text?: string;
}

export function parseExport(value: unknown): ExportResult {
  const o = object(value, 'export');
  // `text`: the text a brat `.ann` refers to (corrections exports; a document's is the document).
  const result: ExportResult = { format: str(o, 'format', 'export'), content: str(o, 'content', 'export') };
  if (typeof o.text === 'string') result.text = o.text;
  return result;
}

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface UncertainMention {
  uri: string;
  range: LspRange;
  entityType: string;
  confidence: number | null;
  text: string;
}

function position(value: unknown, what: string): { line: number; character: number } {
  const o = object(value, what);
  const line = o.line;
  const character = o.character;
  if (!Number.isInteger(line) || !Number.isInteger(character) || (line as number) < 0 || (character as number) < 0) {
    throw new ProtocolError(`${what}: expected {line, character}, got ${JSON.stringify(value)}`);
  }
  return { line: line as number, character: character as number };
}

/** `null` (no further uncertain mention) or the mention to go to. */
export function parseNextUncertain(value: unknown): UncertainMention | null {
  if (value === null || value === undefined) return null;
  const what = 'bioscope.nextUncertain';
  const o = object(value, what);
  const r = object(o.range, `${what} range`);
  return {
    uri: str(o, 'uri', what),
    range: { start: position(r.start, `${what} range.start`), end: position(r.end, `${what} range.end`) },
    entityType: optStr(o, 'entityType') ?? 'entity',
    confidence: optNum(o, 'confidence'),
    text: optStr(o, 'text') ?? '',
  };
}

export interface RetrainResult {
  model: string;
  bundle: string | null;
  corrections: number | null;
  seconds: number | null;
}

export function parseRetrain(value: unknown): RetrainResult {
  const what = 'bioscope.retrain';
  const o = object(value, what);
  return { model: str(o, 'model', what), bundle: optStr(o, 'bundle'), corrections: optNum(o, 'corrections'), seconds: optNum(o, 'seconds') };
}

export type Activity = 'idle' | 'loading' | 'tagging' | 'retraining';

export interface StatusNotification {
  activity: Activity;
  model: string | null;
  message: string | null;
  percentage: number | null;
}

const ACTIVITIES: readonly Activity[] = ['idle', 'loading', 'tagging', 'retraining'];

/** `bioscope/status` params; an unknown activity reads as idle rather than failing. */
export function parseStatusNotification(value: unknown): StatusNotification {
  const o = object(value, STATUS_NOTIFICATION);
  const a = o.activity;
  const activity = ACTIVITIES.includes(a as Activity) ? (a as Activity) : 'idle';
  const pct = optNum(o, 'percentage');
  return {
    activity,
    model: optStr(o, 'model'),
    message: optStr(o, 'message'),
    percentage: pct === null ? null : Math.min(100, Math.max(0, pct)),
  };
}

/** Whether the running server lists a command (older servers lack nextUncertain and retrain). */
export function serverSupports(advertised: readonly string[] | undefined, command: string): boolean {
  return (advertised ?? []).includes(command);
}

/** Lines describing the server's state, problems first, for the status message. */
export function describeStatus(s: ServerStatus): { summary: string; detail: string[] } {
  const detail: string[] = [];
  if (s.problem) detail.push(`Problem: ${s.problem}`);
  if (s.lexiconProblem) detail.push(`Lexicon problem: ${s.lexiconProblem}`);
  detail.push(`Model: ${s.model ?? 'none'}${s.modelDir ? ` (${s.modelDir})` : ''}${s.device ? `, on ${s.device}` : ''}`);
  if (s.deviceNote) detail.push(`Device: ${s.deviceNote}`);
  if (s.lexicon) {
    const names = s.lexicon.names !== null ? `, ${s.lexicon.names.toLocaleString('en-US')} names` : '';
    detail.push(`Lexicon: ${s.lexicon.path}${names}`);
  } else if (!s.lexiconProblem) {
    detail.push('Lexicon: none');
  }
  if (s.openDocuments !== null) detail.push(`Open documents: ${s.openDocuments}`);
  if (s.corrections !== null) {
    const where = s.correctionsWhere ?? s.correctionsPath;
    if (s.correctionsPath === null && s.correctionsWhere !== null) {
      detail.push(`Corrections cannot be stored: ${s.correctionsWhere}`);
    } else {
      detail.push(`Corrections: ${s.corrections}${where ? `, kept in ${where}` : ''}`);
    }
  }
  if (s.cache) detail.push(`Paragraph cache: ${s.cache.entries} entries, ${s.cache.hits} hits, ${s.cache.misses} misses`);
  const summary = s.problem
    ? `BioScope: ${s.problem}`
    : `BioScope is running${s.model ? ` with ${s.model}` : ' without a model'}.`;
  return { summary, detail };
}
