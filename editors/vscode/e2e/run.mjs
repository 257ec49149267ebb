// End-to-end: a real VS Code (code-server 4.100.3, driven by headless Chromium through
// playwright-core) with the packaged .vsix installed opens e2e/manuscript.md; every entity that
// `bioscope tag` finds in it must be drawn in its type's colour, in Dark+ and then in Light+,
// and the status bar must name the model. Writes a screenshot of the Dark+ editor.
//
//   bash e2e/setup.sh && npm run package && node e2e/run.mjs [--screenshot screenshot.png]
//
// Environment: BIOSCOPE_E2E_DIR (from setup.sh), BIOSCOPE_SERVER (default
// ../../target/release/bioscope), ORT_DYLIB_PATH (default ../../.assets/onnxruntime/...).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const extensionDir = resolve(here, '..');
const repo = resolve(extensionDir, '../..');
const e2eDir = process.env.BIOSCOPE_E2E_DIR ?? '/tmp/bioscope-vscode-e2e';
const server = resolve(process.env.BIOSCOPE_SERVER ?? join(repo, 'target/release/bioscope'));
const ort = resolve(process.env.ORT_DYLIB_PATH ?? join(repo, '.assets/onnxruntime/libonnxruntime.so.1.31.1'));
const vsix = join(extensionDir, 'dist/bioscope.vsix');
const shotArg = process.argv.indexOf('--screenshot');
const screenshot = shotArg > 0 ? resolve(process.argv[shotArg + 1]) : undefined;
const codeServer = join(e2eDir, 'node_modules/.bin/code-server');
const { chromium } = createRequire(join(e2eDir, 'package.json'))('playwright-core');

const { ENTITY_TYPES } = await import(join(extensionDir, 'src/logic/legend.ts'));
const colourOf = Object.fromEntries(ENTITY_TYPES.map((t) => [t.setting, t]));
const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

const work = mkdtempSync(join(tmpdir(), 'bioscope-e2e-'));
const ws = join(work, 'ws');
mkdirSync(ws);
copyFileSync(join(here, 'manuscript.md'), join(ws, 'manuscript.md'));
const userDir = join(work, 'user-data');
mkdirSync(join(userDir, 'User'), { recursive: true });
const settingsFile = join(userDir, 'User/settings.json');
const writeSettings = (theme) =>
  writeFileSync(
    settingsFile,
    JSON.stringify({
      'workbench.colorTheme': theme,
      'bioscope.serverPath': server,
      'bioscope.onnxruntimePath': ort,
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'editor.minimap.enabled': false,
      'editor.fontSize': 16,
      'editor.wordWrap': 'off',
      'telemetry.telemetryLevel': 'off',
    }),
  );
writeSettings('Default Dark+');

// What the model finds, from the same binary: the expectations.
const tagged = JSON.parse(
  execFileSync(server, ['tag', '--format', 'json', join(ws, 'manuscript.md')], { env: { ...process.env, ORT_DYLIB_PATH: ort } }).toString(),
);
const entities = tagged.entities.filter((e) => !e.text.includes('\n'));
console.log(`bioscope tag: ${entities.map((e) => `${e.text}=${e.type}`).join(', ')}`);

const ext = join(work, 'extensions');
execFileSync(codeServer, ['--user-data-dir', userDir, '--extensions-dir', ext, '--install-extension', vsix], { stdio: 'inherit' });

const port = await new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => ok(p));
  });
});
const child = spawn(
  codeServer,
  ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userDir, '--extensions-dir', ext,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', ws],
  { stdio: ['ignore', 'pipe', 'pipe'], detached: false },
);
let log = '';
child.stdout.on('data', (d) => (log += d));
child.stderr.on('data', (d) => (log += d));

let browser;
let failures = 0;
const deadline = (s) => Date.now() + s * 1000;
try {
  for (const until = deadline(60); ; ) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > until) throw new Error(`code-server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1100, height: 560 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.waitForTimeout(3000);
  // Quick open: wait for the file to be listed before choosing it (the file search is slow on
  // a busy machine), and try again if the editor does not open.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget input', { timeout: 60_000 });
    await page.keyboard.type('manuscript.md');
    try {
      await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="manuscript.md"]', { timeout: 60_000 });
      await page.keyboard.press('Enter');
      await page.waitForSelector('.view-lines', { timeout: 60_000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      await page.keyboard.press('Escape');
    }
  }
  if (await page.isVisible('.part.sidebar')) await page.keyboard.press('Control+B');

  // Spans of the editor's text and their colours.
  const spans = () =>
    page.$$eval('.editor-instance .view-lines .view-line span span', (els) =>
      els.map((el) => {
        const s = getComputedStyle(el);
        return { text: (el.textContent ?? '').replace(/\u00a0/g, ' '), color: s.color, underline: s.textDecorationLine, italic: s.fontStyle, bold: s.fontWeight };
      }),
    );
  const check = async (theme, key) => {
    let last = [];
    let missing = [];
    for (const until = deadline(60); Date.now() < until; ) {
      last = await spans();
      missing = entities.filter((e) => !last.some((s) => s.text === e.text && s.color === rgb(colourOf[e.type][key])));
      if (missing.length === 0) break;
      await page.waitForTimeout(1000);
    }
    for (const e of entities) {
      const found = last.find((s) => s.text === e.text);
      const want = rgb(colourOf[e.type][key]);
      const ok = found?.color === want;
      if (!ok) failures++;
      console.log(`${theme}: ${e.text.padEnd(22)} ${e.type.padEnd(9)} ${found ? found.color : 'no span'} ${ok ? 'ok' : `expected ${want}`}`);
    }
    const types = new Set(entities.map((e) => e.type));
    console.log(`${theme}: ${types.size} entity types seen (${[...types].join(', ')})`);
  };

  await check('Dark+', 'dark');
  const status = await page.$$eval('.statusbar-item', (els) => els.map((e) => e.textContent ?? '').filter((t) => t.includes('BioScope')));
  const model = tagged.model ?? 'bioscope-union';
  const statusOk = status.some((t) => t.includes('bioscope-union') || t.includes(model));
  if (!statusOk) failures++;
  console.log(`status bar: ${JSON.stringify(status)} ${statusOk ? 'ok' : 'expected the model name'}`);
  if (screenshot) {
    await page.screenshot({ path: screenshot });
    console.log(`screenshot: ${screenshot}`);
  }
  // The theme picker, as a person would switch (a change to settings.json is not picked up).
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  await page.waitForSelector('.quick-input-widget input', { timeout: 60_000 });
  await page.keyboard.type('Light+');
  await page.waitForSelector('.quick-input-list .monaco-list-row.focused[aria-label*="Light+"]', { timeout: 60_000 });
  await page.keyboard.press('Enter');
  await check('Light+', 'light');
} catch (e) {
  failures++;
  console.error(e);
  console.error(log.slice(-4000));
} finally {
  await browser?.close();
  child.kill();
  rmSync(work, { recursive: true, force: true });
}
console.log(failures === 0 ? 'e2e: 1 passed, 0 failed' : `e2e: 0 passed, 1 failed (${failures} problems)`);
process.exit(failures === 0 ? 0 : 1);
