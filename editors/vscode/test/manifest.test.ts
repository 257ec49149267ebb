// package.json against the legend table, the server's code and the security rule for settings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { CUSTOM_TOKEN_TYPES, ENTITY_TYPES, LAB_TOKEN_TYPES, legendMarkdown, semanticTokenScopes, TOKEN_MODIFIERS } from '../src/logic/legend.ts';
import { EXTENSION_COMMANDS, SERVER_COMMANDS } from '../src/logic/protocol.ts';
import { DEFAULT_LANGUAGES, MACHINE_KEYS, ORDINARY_KEYS } from '../src/logic/settings.ts';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const serverTokens = readFileSync(new URL('../../server/lsp/src/semantic_tokens.rs', root), 'utf8');
const serverTypeTable = readFileSync(new URL('../../server/core/src/entity.rs', root), 'utf8');
const serverCommands = readFileSync(new URL('../../server/lsp/src/handlers/command.rs', root), 'utf8');
const extensionSource = readFileSync(new URL('src/extension.ts', root), 'utf8');

test('token types and modifiers are the server legend, in its order', () => {
  const types = [...serverTypeTable.matchAll(/^\s*token: "(\w+)",$/gm)].map((m) => m[1]);
  assert.deepEqual(types, ['gene', 'disease', 'chemical', 'species', 'cellLine', 'cellType', 'variant']);
  assert.deepEqual(ENTITY_TYPES.map((t) => t.id), types);
  const modifiers = [...serverTokens.matchAll(/SemanticTokenModifier::new\("(\w+)"\)/g)].map((m) => m[1]);
  assert.deepEqual(TOKEN_MODIFIERS.map((m) => m.id), modifiers);
  const labTypes = [...serverTokens.matchAll(/LAB_TOKEN_TYPES: \[&str; \d+\] = \[([^\]]*)\]/g)]
    .flatMap((m) => [...m[1].matchAll(/"(\w+)"/g)].map((n) => n[1]));
  assert.deepEqual(LAB_TOKEN_TYPES.map((t) => t.id), labTypes);
  const customTypes = [...serverTokens.matchAll(/CUSTOM_TOKEN_TYPES: \[&str; [^\]]+\] = \[([^\]]*)\]/g)]
    .flatMap((m) => [...m[1].matchAll(/"(\w+)"/g)].map((n) => n[1]));
  assert.equal(customTypes.length, 8);
  assert.deepEqual(CUSTOM_TOKEN_TYPES.map((t) => t.id), customTypes);
  const c = pkg.contributes;
  assert.deepEqual(c.semanticTokenTypes.map((t: { id: string }) => t.id), [...types, ...labTypes, ...customTypes]);
  assert.equal(c.configuration.properties['bioscope.customTypes'].maxItems, customTypes.length);
  assert.deepEqual(c.semanticTokenModifiers.map((m: { id: string }) => m.id), modifiers);
  assert.deepEqual(
    c.semanticTokenTypes.map((t: { superType: string }) => t.superType),
    [...ENTITY_TYPES, ...LAB_TOKEN_TYPES, ...CUSTOM_TOKEN_TYPES].map((t) => t.superType),
  );
  assert.deepEqual(c.semanticTokenScopes, [{ scopes: semanticTokenScopes() }]);
});

test('seven types get seven colours in Dark+ and in Light+, and distinct fallbacks', () => {
  for (const key of ['dark', 'light'] as const) {
    const colours = ENTITY_TYPES.map((t) => t[key].toUpperCase());
    assert.equal(new Set(colours).size, ENTITY_TYPES.length, `${key}: ${colours.join(' ')}`);
    for (const c of colours) assert.match(c, /^#[0-9A-F]{6}$/);
  }
  assert.equal(new Set(ENTITY_TYPES.map((t) => t.superType)).size, ENTITY_TYPES.length);
  assert.equal(new Set(ENTITY_TYPES.map((t) => t.scopes[0])).size, ENTITY_TYPES.length);
  const table = legendMarkdown();
  assert.match(table, /\| Gene \/ protein \| `gene` \| `function` \| `entity.name.function` \| `#DCDCAA` \| `#795E26` \|/);
});

test('the README shows the legend table as the code has it', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  assert.ok(readme.includes(legendMarkdown()), 'README.md must contain legendMarkdown() verbatim');
});

test('semantic highlighting is on for the default languages, which activate the extension', () => {
  for (const lang of DEFAULT_LANGUAGES) {
    assert.equal(pkg.contributes.configurationDefaults[`[${lang}]`]['editor.semanticHighlighting.enabled'], true, lang);
    assert.ok(pkg.activationEvents.includes(`onLanguage:${lang}`), lang);
  }
  assert.deepEqual(pkg.contributes.configuration.properties['bioscope.languages'].default, DEFAULT_LANGUAGES);
});

test('settings that name code or a model are machine-scoped; the others are not', () => {
  const props = pkg.contributes.configuration.properties;
  for (const key of MACHINE_KEYS) assert.equal(props[`bioscope.${key}`]?.scope, 'machine', key);
  for (const key of ORDINARY_KEYS) {
    assert.ok(props[`bioscope.${key}`], key);
    assert.notEqual(props[`bioscope.${key}`].scope, 'machine', key);
    assert.notEqual(props[`bioscope.${key}`].scope, 'machine-overridable', key);
  }
  const machine = Object.entries(props)
    .filter(([, v]) => (v as { scope?: string }).scope === 'machine')
    .map(([k]) => k.replace('bioscope.', ''))
    .sort();
  assert.deepEqual(machine, [...MACHINE_KEYS].sort());
  assert.deepEqual(
    props['bioscope.enabledTypes'].items.enum,
    ENTITY_TYPES.map((t) => t.setting),
  );
});

test('extension command ids differ from the server ones, and each is contributed and registered', () => {
  const server = [...serverCommands.matchAll(/pub const \w+: &str = "([\w.]+)"/g)].map((m) => m[1]);
  assert.ok(server.includes(SERVER_COMMANDS.status) && server.includes(SERVER_COMMANDS.exportDocument), server.join());
  const serverIds = new Set([...server, ...Object.values(SERVER_COMMANDS)]);
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(contributed, Object.values(EXTENSION_COMMANDS).sort());
  for (const id of contributed) assert.ok(!serverIds.has(id), `${id} is a server command id`);
  for (const key of Object.keys(EXTENSION_COMMANDS)) {
    assert.ok(extensionSource.includes(`EXTENSION_COMMANDS.${key}`), `${key} is never registered`);
  }
});
