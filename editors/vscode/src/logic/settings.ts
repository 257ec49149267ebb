/**
 * Settings → how the server is started and what it is told.
 *
 * Machine-scoped settings (they name an executable, a native library or a model, so only the
 * user's own settings may set them, never a workspace) become the server's command line and
 * environment; changing one restarts the server. The other settings travel as the `bioscope`
 * configuration section (initialization options and workspace/didChangeConfiguration).
 * No `vscode` import: this module is unit-tested under plain Node.
 */

import { ENTITY_TYPES } from './legend';

/** Settings that choose code or data the server loads: `machine` scope in package.json. */
export interface MachineSettings {
  serverPath: string;
  modelPath: string;
  lexiconPath: string;
  onnxruntimePath: string;
  trainerPath: string;
  /** `cpu` or `cuda`. */
  device: string;
}

/** Settings a workspace may set: sent to the server as its `bioscope` section. */
export interface OrdinarySettings {
  enabledTypes: string[];
  confidenceThreshold: number;
  correctionsPath: string;
  uncertainHints: boolean;
  debounceMs: number;
  threads: number | null;
  /** File-name patterns of documents read as lab reports (`*`, `?` wildcards). */
  labReportFiles: string[];
  /** Types of one's own: `{name, description?, color?}`, validated by the server. */
  customTypes: CustomTypeSetting[];
}

export interface CustomTypeSetting {
  name: string;
  description?: string;
  color?: string;
}

export const MACHINE_KEYS: readonly (keyof MachineSettings)[] = [
  'serverPath',
  'modelPath',
  'lexiconPath',
  'onnxruntimePath',
  'trainerPath',
  'device',
];

export const ORDINARY_KEYS: readonly (keyof OrdinarySettings)[] = [
  'enabledTypes',
  'confidenceThreshold',
  'correctionsPath',
  'uncertainHints',
  'debounceMs',
  'threads',
  'labReportFiles',
  'customTypes',
];

/** Settings whose change needs a new server process (or a new document selector); a change
 * of `correctionsPath` restarts it too when it is the user's own value (a flag). */
export const RESTART_KEYS: readonly string[] = [...MACHINE_KEYS, 'languages'];

export const DEFAULT_LANGUAGES: readonly string[] = ['markdown', 'latex', 'plaintext'];

/**
 * `bioscope.correctionsPath` is both: the user's own value goes on the command line
 * (`--corrections`, anywhere, also with no folder open), a workspace's value is sent as a
 * setting (the server keeps it inside the workspace, relative paths under it).
 */
export function correctionsPaths(inspected: Inspected<string> | undefined): { user?: string; workspace?: string } {
  const blank = (v: string | undefined) => (v ?? '').trim() || undefined;
  return {
    user: blank(inspected?.globalValue),
    workspace: blank(inspected?.workspaceFolderValue ?? inspected?.workspaceValue),
  };
}

export interface ServerLaunch {
  command: string;
  args: string[];
  /** Variables added to the extension host's environment for the child. */
  env: Record<string, string>;
}

/** `~` and `~/x` → the home directory; blank → undefined. */
export function expandPath(value: string | undefined, home: string): string | undefined {
  const v = (value ?? '').trim();
  if (v === '') return undefined;
  if (v === '~') return home;
  if (v.startsWith('~/')) return home.replace(/\/+$/, '') + v.slice(1);
  return v;
}

/**
 * `<server> lsp [--model DIR] [--lexicon DIR] [--trainer PATH] [--corrections FILE] [--device cuda]` with
 * ORT_DYLIB_PATH set when the user named the ONNX Runtime library; `userCorrections` is the
 * user's own `bioscope.correctionsPath` ([`correctionsPaths`]). Without a server path,
 * `bioscope` is looked up on PATH.
 */
export function serverLaunch(s: Partial<MachineSettings>, home: string, userCorrections?: string): ServerLaunch {
  const args = ['lsp'];
  const flag = (name: string, value: string | undefined) => {
    const p = expandPath(value, home);
    if (p !== undefined) args.push(name, p);
  };
  flag('--model', s.modelPath);
  flag('--lexicon', s.lexiconPath);
  flag('--trainer', s.trainerPath);
  flag('--corrections', userCorrections);
  const device = (s.device ?? '').trim();
  if (device !== '' && device !== 'cpu') args.push('--device', device);
  const env: Record<string, string> = {};
  const ort = expandPath(s.onnxruntimePath, home);
  if (ort !== undefined) env.ORT_DYLIB_PATH = ort;
  return { command: expandPath(s.serverPath, home) ?? 'bioscope', args, env };
}

/** The one-line form of a launch, for the log. */
export function describeLaunch(l: ServerLaunch): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const env = Object.entries(l.env).map(([k, v]) => `${k}=${quote(v)} `).join('');
  return env + [l.command, ...l.args].map(quote).join(' ');
}

/**
 * The `bioscope` section the server reads. Unknown type names are dropped here (the server
 * would reject the whole list); blank paths and an unset thread count are left out so the
 * server keeps its own default.
 */
export function serverSettings(s: Partial<OrdinarySettings>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(s.enabledTypes)) {
    const known = new Map(ENTITY_TYPES.map((t) => [t.setting.toLowerCase(), t.setting]));
    out.enabledTypes = s.enabledTypes
      .map((name) => known.get(String(name).toLowerCase()))
      .filter((name): name is string => name !== undefined);
  }
  if (typeof s.confidenceThreshold === 'number' && Number.isFinite(s.confidenceThreshold)) {
    out.confidenceThreshold = Math.min(1, Math.max(0, s.confidenceThreshold));
  }
  const corrections = (s.correctionsPath ?? '').trim();
  if (corrections !== '') out.correctionsPath = corrections;
  if (typeof s.uncertainHints === 'boolean') out.uncertainHints = s.uncertainHints;
  if (typeof s.debounceMs === 'number' && Number.isFinite(s.debounceMs)) {
    out.debounceMs = Math.min(5000, Math.max(0, Math.round(s.debounceMs)));
  }
  if (typeof s.threads === 'number' && Number.isInteger(s.threads) && s.threads >= 1) {
    out.threads = s.threads;
  }
  if (Array.isArray(s.labReportFiles)) {
    out.labReportFiles = s.labReportFiles
      .filter((p): p is string => typeof p === 'string' && p.trim() !== '')
      .map((p) => p.trim());
  }
  if (Array.isArray(s.customTypes)) {
    // Entries without a name are dropped here; the server checks the rest and says what it
    // refuses (a built-in type's name, a bad colour).
    out.customTypes = s.customTypes.filter(
      (t): t is CustomTypeSetting => typeof t === 'object' && t !== null && typeof t.name === 'string' && t.name.trim() !== '',
    );
  }
  return out;
}

/** The languages to attach to: the setting's list (deduplicated), or the defaults when empty. */
export function languagesFrom(setting: unknown): string[] {
  const list = Array.isArray(setting)
    ? setting.filter((l): l is string => typeof l === 'string' && l.trim() !== '').map((l) => l.trim())
    : [];
  return [...new Set(list.length > 0 ? list : DEFAULT_LANGUAGES)];
}

/** The client's document selector: saved files and untitled buffers of those languages. */
export function documentSelector(languages: readonly string[]): { language: string; scheme: string }[] {
  return languages.flatMap((language) => [
    { language, scheme: 'file' },
    { language, scheme: 'untitled' },
  ]);
}

/** What `WorkspaceConfiguration.inspect` reports for one setting. */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * The user's own value of a machine-scoped setting, or its default: a value a workspace set is
 * ignored even if an older VS Code were to pass it through.
 */
export function userValue<T>(inspected: Inspected<T> | undefined, fallback: T): T {
  return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
}
