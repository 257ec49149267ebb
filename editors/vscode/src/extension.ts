/**
 * The VS Code side of BioScope: starts `bioscope lsp` over stdio for manuscripts, keeps its
 * settings in sync, and adds the commands and the status bar item. Everything that can be
 * decided without VS Code lives in `logic/` and is unit-tested there.
 */

import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { EXPORT_CHOICES, bratTextPath, exportPath, type ExportChoice } from './logic/export';
import {
  describeStatus,
  EXTENSION_COMMANDS,
  parseExport,
  parseNextUncertain,
  parseRetrain,
  parseStatus,
  parseStatusNotification,
  SERVER_COMMANDS,
  serverSupports,
  STATUS_NOTIFICATION,
  type StatusNotification,
} from './logic/protocol';
import {
  correctionsPaths,
  describeLaunch,
  documentSelector,
  languagesFrom,
  MACHINE_KEYS,
  type MachineSettings,
  ORDINARY_KEYS,
  type OrdinarySettings,
  RESTART_KEYS,
  serverLaunch,
  serverSettings,
  userValue,
} from './logic/settings';
import { applyNotification, INITIAL_STATUS, type StatusState, statusBarView } from './logic/status';

const SECTION = 'bioscope';

function machineSettings(): MachineSettings {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const out = {} as MachineSettings;
  for (const key of MACHINE_KEYS) out[key] = userValue(cfg.inspect<string>(key), '');
  return out;
}

function correctionsSetting(): { user?: string; workspace?: string } {
  return correctionsPaths(vscode.workspace.getConfiguration(SECTION).inspect<string>('correctionsPath'));
}

function ordinarySettings(): Partial<OrdinarySettings> {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const out: Record<string, unknown> = {};
  for (const key of ORDINARY_KEYS) out[key] = cfg.get(key);
  // Only a workspace's value travels as a setting; the user's own is the --corrections flag.
  out.correctionsPath = correctionsSetting().workspace;
  return out as Partial<OrdinarySettings>;
}

function languages(): string[] {
  return languagesFrom(vscode.workspace.getConfiguration(SECTION).get('languages'));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class Bioscope implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  private status: StatusState = INITIAL_STATUS;
  private readonly item: vscode.StatusBarItem;
  private readonly output: vscode.OutputChannel;
  private readonly disposables: vscode.Disposable[] = [];
  /** The user's corrections file the running server was started with. */
  private launchedCorrections: string | undefined;
  private retrainProgress: { report(p: { message?: string; increment?: number }): void; last: number } | undefined;

  constructor() {
    this.output = vscode.window.createOutputChannel('BioScope');
    this.item = vscode.window.createStatusBarItem('bioscope.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'BioScope';
    this.item.command = EXTENSION_COMMANDS.showStatus;
    this.disposables.push(this.output, this.item);
  }

  register(context: vscode.ExtensionContext): void {
    const command = (id: string, run: () => Promise<unknown>) =>
      vscode.commands.registerCommand(id, async () => {
        try {
          await run();
        } catch (e) {
          this.output.appendLine(`${id}: ${errorText(e)}`);
          void vscode.window.showErrorMessage(`BioScope: ${errorText(e)}`);
        }
      });
    context.subscriptions.push(
      this,
      command(EXTENSION_COMMANDS.restart, () => this.restart()),
      command(EXTENSION_COMMANDS.showLog, async () => this.output.show(true)),
      command(EXTENSION_COMMANDS.showStatus, () => this.showStatus()),
      command(EXTENSION_COMMANDS.export, () => this.exportAnnotations()),
      command(EXTENSION_COMMANDS.nextUncertain, () => this.nextUncertain()),
      command(EXTENSION_COMMANDS.retrain, () => this.retrain()),
      vscode.workspace.onDidChangeConfiguration((e) => this.configurationChanged(e)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.maybeStart(doc)),
    );
    for (const doc of vscode.workspace.textDocuments) this.maybeStart(doc);
  }

  /** Starts the server when the first manuscript is opened. */
  private maybeStart(doc: vscode.TextDocument): void {
    if (this.client || this.starting) return;
    if (vscode.languages.match(documentSelector(languages()), doc) > 0) void this.start();
  }

  private render(): void {
    const view = statusBarView(this.status);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === 'normal' ? undefined : new vscode.ThemeColor(`statusBarItem.${view.severity}Background`);
    this.item.show();
  }

  private setStatus(next: StatusState): void {
    this.status = next;
    this.render();
  }

  private start(): Promise<LanguageClient | undefined> {
    this.starting ??= this.launch().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async launch(): Promise<LanguageClient | undefined> {
    const launch = serverLaunch(machineSettings(), os.homedir(), correctionsSetting().user);
    this.launchedCorrections = correctionsSetting().user;
    this.output.appendLine(`Starting ${describeLaunch(launch)}`);
    const serverOptions: ServerOptions = {
      command: launch.command,
      args: launch.args,
      options: { env: { ...process.env, ...launch.env } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(languages()),
      outputChannel: this.output,
      initializationOptions: { [SECTION]: serverSettings(ordinarySettings()) },
      middleware: {
        workspace: {
          // If the server asks (workspace/configuration), it gets the same section it is sent.
          configuration: (params) =>
            params.items.map((item) => (item.section === SECTION ? serverSettings(ordinarySettings()) : null)),
        },
      },
    };
    const client = new LanguageClient(SECTION, 'BioScope', serverOptions, clientOptions);
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => this.onStatusNotification(params));
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped && this.client === client) this.setStatus({ ...this.status, phase: 'stopped' });
      if (e.newState === State.Running) void this.refreshStatus(client);
    });
    this.client = client;
    this.setStatus({ ...INITIAL_STATUS });
    try {
      await client.start();
    } catch (e) {
      this.client = undefined;
      this.setStatus({ ...INITIAL_STATUS, phase: 'failed', message: errorText(e) });
      this.output.appendLine(`The server did not start: ${errorText(e)}`);
      void vscode.window
        .showErrorMessage(
          `BioScope: could not start "${launch.command}" (${errorText(e)}). Build it with \`cargo build --release -p bioscope-cli\` and set bioscope.serverPath.`,
          'Open Settings',
          'Show Log',
        )
        .then((choice) => {
          if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'bioscope.serverPath');
          if (choice === 'Show Log') this.output.show(true);
        });
      try {
        await client.dispose();
      } catch {
        // already stopped
      }
      return undefined;
    }
    await this.refreshStatus(client);
    return client;
  }

  private onStatusNotification(params: unknown): void {
    let n: StatusNotification;
    try {
      n = parseStatusNotification(params);
    } catch (e) {
      this.output.appendLine(errorText(e));
      return;
    }
    this.setStatus(applyNotification(this.status, n));
    const progress = this.retrainProgress;
    if (progress && n.activity === 'retraining') {
      const pct = n.percentage ?? progress.last;
      progress.report({ message: n.message ?? undefined, increment: Math.max(0, pct - progress.last) });
      progress.last = pct;
    }
  }

  private async refreshStatus(client: LanguageClient): Promise<void> {
    try {
      const s = parseStatus(await this.execute(client, SERVER_COMMANDS.status, []));
      this.setStatus({ ...this.status, phase: 'running', model: s.model, problem: s.problem });
    } catch (e) {
      this.output.appendLine(`bioscope.status: ${errorText(e)}`);
      this.setStatus({ ...this.status, phase: 'running' });
    }
  }

  private execute(client: LanguageClient, command: string, args: unknown[], token?: vscode.CancellationToken): Promise<unknown> {
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token);
  }

  /** The running client, started if need be; throws with a message for the user otherwise. */
  private async running(): Promise<LanguageClient> {
    const client = this.client?.isRunning() ? this.client : await this.start();
    if (!client) throw new Error('the server is not running: see "BioScope: Show Log"');
    return client;
  }

  private requireCommand(client: LanguageClient, command: string): void {
    const advertised = client.initializeResult?.capabilities.executeCommandProvider?.commands;
    if (!serverSupports(advertised, command)) {
      throw new Error(`this bioscope server has no ${command} command; update and rebuild it`);
    }
  }

  private manuscriptEditor(): vscode.TextEditor {
    const editor = vscode.window.activeTextEditor;
    if (!editor || vscode.languages.match(documentSelector(languages()), editor.document) === 0) {
      throw new Error(`open a manuscript first (languages: ${languages().join(', ')}; see bioscope.languages)`);
    }
    return editor;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.dispose(2000);
      } catch (e) {
        this.output.appendLine(`stopping the server: ${errorText(e)}`);
      }
    }
    this.setStatus({ ...INITIAL_STATUS, phase: 'stopped' });
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    const userCorrectionsChanged =
      e.affectsConfiguration(`${SECTION}.correctionsPath`) && correctionsSetting().user !== this.launchedCorrections;
    if (userCorrectionsChanged || RESTART_KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
      if (this.client || this.starting) {
        this.output.appendLine('Server settings changed: restarting the server.');
        void this.restart();
      } else {
        for (const doc of vscode.workspace.textDocuments) this.maybeStart(doc);
      }
      return;
    }
    if (ORDINARY_KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`)) && this.client?.isRunning()) {
      void this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: serverSettings(ordinarySettings()) },
      });
    }
  }

  private async showStatus(): Promise<void> {
    if (!this.client?.isRunning()) {
      const why = this.status.phase === 'failed' && this.status.message ? `: ${this.status.message}` : '';
      const choice = await vscode.window.showWarningMessage(`BioScope: the server is not running${why}.`, 'Restart Server', 'Show Log');
      if (choice === 'Restart Server') await this.restart();
      if (choice === 'Show Log') this.output.show(true);
      return;
    }
    const s = parseStatus(await this.execute(this.client, SERVER_COMMANDS.status, []));
    this.setStatus({ ...this.status, model: s.model, problem: s.problem });
    const { summary, detail } = describeStatus(s);
    this.output.appendLine([summary, ...detail].join('\n  '));
    const show = s.problem || s.lexiconProblem ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const choice = await show(summary, { modal: true, detail: detail.join('\n') }, 'Show Log', 'Restart Server');
    if (choice === 'Show Log') this.output.show(true);
    if (choice === 'Restart Server') await this.restart();
  }

  private async exportAnnotations(): Promise<void> {
    const client = await this.running();
    const editor = vscode.window.activeTextEditor;
    const manuscript =
      editor && vscode.languages.match(documentSelector(languages()), editor.document) > 0 ? editor.document : undefined;
    const choices = EXPORT_CHOICES.filter((c) => c.kind === 'corrections' || manuscript);
    const picked = await vscode.window.showQuickPick(
      choices.map((choice) => ({ label: choice.label, description: choice.description, choice })),
      { title: 'BioScope: export', placeHolder: manuscript ? 'Export format' : 'Open a manuscript to export its entities' },
    );
    if (!picked) return;
    const choice: ExportChoice = picked.choice;
    const args =
      choice.kind === 'document' && manuscript
        ? { uri: client.code2ProtocolConverter.asUri(manuscript.uri), format: choice.format }
        : { format: choice.format };
    const command = choice.kind === 'document' ? SERVER_COMMANDS.exportDocument : SERVER_COMMANDS.exportCorrections;
    const result = parseExport(await this.execute(client, command, [args]));
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const fallbackDir = folder?.scheme === 'file' ? folder.fsPath : os.homedir();
    const docPath = manuscript?.uri.scheme === 'file' ? manuscript.uri.fsPath : undefined;
    const untitled = manuscript ? path.posix.basename(manuscript.uri.path) : 'bioscope';
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(exportPath(docPath, untitled, fallbackDir, choice)),
      saveLabel: 'Export',
      title: `BioScope: export ${choice.label}`,
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(result.content));
    if (choice.format === 'brat') {
      const text = result.text ?? manuscript?.getText() ?? '';
      await vscode.workspace.fs.writeFile(vscode.Uri.file(bratTextPath(target.fsPath)), new TextEncoder().encode(text));
    }
    const open = await vscode.window.showInformationMessage(`BioScope: exported ${choice.label} to ${target.fsPath}`, 'Open');
    if (open === 'Open') await vscode.window.showTextDocument(target);
  }

  private async nextUncertain(): Promise<void> {
    const client = await this.running();
    this.requireCommand(client, SERVER_COMMANDS.nextUncertain);
    const editor = this.manuscriptEditor();
    const pos = editor.selection.active;
    const mention = parseNextUncertain(
      await this.execute(client, SERVER_COMMANDS.nextUncertain, [
        { uri: client.code2ProtocolConverter.asUri(editor.document.uri), position: { line: pos.line, character: pos.character } },
      ]),
    );
    if (!mention) {
      void vscode.window.showInformationMessage('BioScope: no further uncertain mention to review.');
      return;
    }
    const uri = client.protocol2CodeConverter.asUri(mention.uri);
    const range = client.protocol2CodeConverter.asRange(mention.range);
    const target =
      uri.toString() === editor.document.uri.toString()
        ? editor
        : await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    target.selection = new vscode.Selection(range.start, range.end);
    target.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    const confidence = mention.confidence !== null ? `, confidence ${mention.confidence.toFixed(2)}` : '';
    vscode.window.setStatusBarMessage(`BioScope: uncertain ${mention.entityType}${confidence}: ${mention.text}`, 8000);
  }

  private async retrain(): Promise<void> {
    const client = await this.running();
    this.requireCommand(client, SERVER_COMMANDS.retrain);
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'BioScope: retraining from corrections', cancellable: true },
      async (progress, token) => {
        this.retrainProgress = { report: (p) => progress.report(p), last: 0 };
        try {
          const r = parseRetrain(await this.execute(client, SERVER_COMMANDS.retrain, [{}], token));
          const corrections = r.corrections !== null ? ` from ${r.corrections} corrections` : '';
          const seconds = r.seconds !== null ? ` in ${Math.round(r.seconds)} s` : '';
          this.output.appendLine(`Retrained: ${r.model}${r.bundle ? ` (${r.bundle})` : ''}${corrections}${seconds}`);
          void vscode.window.showInformationMessage(`BioScope: retrained ${r.model}${corrections}${seconds}.`);
          await this.refreshStatus(client);
        } catch (e) {
          if (token.isCancellationRequested) {
            void vscode.window.showInformationMessage('BioScope: retraining cancelled.');
          } else {
            this.output.appendLine(`Retraining failed: ${errorText(e)}`);
            void vscode.window.showErrorMessage(`BioScope: retraining failed: ${errorText(e)}`, 'Show Log').then((c) => {
              if (c === 'Show Log') this.output.show(true);
            });
          }
        } finally {
          this.retrainProgress = undefined;
        }
      },
    );
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) d.dispose();
  }
}

let extension: Bioscope | undefined;

export function activate(context: vscode.ExtensionContext): void {
  extension = new Bioscope();
  extension.register(context);
}

export async function deactivate(): Promise<void> {
  extension?.dispose();
  extension = undefined;
}
