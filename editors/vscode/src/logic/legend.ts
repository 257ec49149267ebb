/**
 * The semantic-token legend the server sends (`gene`, `disease`, ..., then the lab-report types
 * `biomarker`, `labValue`, `labUnit`, then the slots of the user's own types `customType1` ...
 * `customType8`; `uncertain`, `corrected`, `abbreviation`, `outOfRange`,
 * `implausible`) and how the extension colours it: for every token type the TextMate scopes it
 * is drawn with, its standard super type (the fallback for themes that colour only standard
 * semantic types), and the colour that Dark+ and Light+ give those scopes.
 *
 * `package.json` contributes exactly this table (a unit test compares them), and
 * `scripts/theme-colours.mjs` checks the hex colours against the real theme files.
 * No `vscode` import: this module is unit-tested under plain Node.
 */

export interface EntityTokenType {
  /** Token type id in the server's legend. */
  id: string;
  /** The name the server's settings use (`bioscope.enabledTypes`). */
  setting: string;
  label: string;
  /** A standard semantic token type: the fallback colour in themes without these scopes. */
  superType: string;
  /** TextMate scopes probed in the current theme, first match wins. */
  scopes: string[];
  /** What Dark+ (and Dark Modern) give `scopes[0]`. */
  dark: string;
  /** What Light+ (and Light Modern) give `scopes[0]`. */
  light: string;
}

/**
 * Seven types, seven scopes that Dark+ and Light+ both colour differently. The super types are
 * distinct too, so a theme that colours only standard types still tells the types apart.
 */
export const ENTITY_TYPES: readonly EntityTokenType[] = [
  { id: 'gene', setting: 'Gene', label: 'Gene / protein', superType: 'function', scopes: ['entity.name.function'], dark: '#DCDCAA', light: '#795E26' },
  { id: 'disease', setting: 'Disease', label: 'Disease', superType: 'string', scopes: ['string'], dark: '#CE9178', light: '#A31515' },
  { id: 'chemical', setting: 'Chemical', label: 'Chemical / drug', superType: 'number', scopes: ['constant.numeric'], dark: '#B5CEA8', light: '#098658' },
  { id: 'species', setting: 'Species', label: 'Species', superType: 'keyword', scopes: ['keyword.control'], dark: '#C586C0', light: '#AF00DB' },
  { id: 'cellLine', setting: 'CellLine', label: 'Cell line', superType: 'class', scopes: ['entity.name.type.class', 'entity.name.type'], dark: '#4EC9B0', light: '#267F99' },
  { id: 'cellType', setting: 'CellType', label: 'Cell type', superType: 'macro', scopes: ['storage.type', 'entity.name.function.preprocessor'], dark: '#569CD6', light: '#0000FF' },
  { id: 'variant', setting: 'Variant', label: 'Variant / mutation', superType: 'property', scopes: ['entity.other.attribute-name'], dark: '#9CDCFE', light: '#E50000' },
];

/** A token type of the lab-report profile (files matching `bioscope.labReportFiles`), after the
 * entity types in the server's legend. Lab reports show no entities, so these may share colours
 * with entity types. */
export interface LabTokenType {
  id: string;
  label: string;
  superType: string;
  scopes: string[];
}

export const LAB_TOKEN_TYPES: readonly LabTokenType[] = [
  { id: 'biomarker', label: 'Lab report: biomarker', superType: 'variable', scopes: ['variable'] },
  { id: 'labValue', label: 'Lab report: value', superType: 'number', scopes: ['constant.numeric'] },
  { id: 'labUnit', label: 'Lab report: unit', superType: 'type', scopes: ['support.type'] },
];

/** The slots of the user's own types (`bioscope.customTypes`), after the lab types in the
 * server's legend: the n-th declared type is coloured as `customTypeN`. The legend is fixed
 * when the server starts, so the slots are reserved; each has its own standard super type and
 * scope so that themes colour it, and `editor.semanticTokenColorCustomizations` can give a slot
 * the colour one chooses (README). */
export const CUSTOM_TOKEN_TYPES: readonly LabTokenType[] = [
  { id: 'customType1', label: 'Your type 1', superType: 'enum', scopes: ['entity.name.tag'] },
  { id: 'customType2', label: 'Your type 2', superType: 'interface', scopes: ['string.regexp'] },
  { id: 'customType3', label: 'Your type 3', superType: 'parameter', scopes: ['constant.character.escape'] },
  { id: 'customType4', label: 'Your type 4', superType: 'enumMember', scopes: ['support.function'] },
  { id: 'customType5', label: 'Your type 5', superType: 'namespace', scopes: ['entity.name.namespace'] },
  { id: 'customType6', label: 'Your type 6', superType: 'struct', scopes: ['support.class'] },
  { id: 'customType7', label: 'Your type 7', superType: 'typeParameter', scopes: ['entity.name.type.parameter'] },
  { id: 'customType8', label: 'Your type 8', superType: 'event', scopes: ['variable.parameter'] },
];

export interface TokenModifier {
  id: string;
  description: string;
  /** Selector in `semanticTokenScopes` (any type with this modifier). */
  selector: string;
  /** Scopes that carry only a font style in Dark+/Light+ (no colour), so the type keeps its colour. */
  scopes: string[];
  style: 'underline' | 'bold' | 'italic' | 'strikethrough';
}

export const TOKEN_MODIFIERS: readonly TokenModifier[] = [
  { id: 'uncertain', description: 'A mention whose confidence is below bioscope.confidenceThreshold.', selector: '*.uncertain', scopes: ['markup.underline'], style: 'underline' },
  { id: 'corrected', description: 'A mention you decided (accepted, retyped, resized or tagged).', selector: '*.corrected', scopes: ['strong'], style: 'bold' },
  { id: 'abbreviation', description: 'A short form the document defines, e.g. TNF after "tumour necrosis factor (TNF)".', selector: '*.abbreviation', scopes: ['emphasis'], style: 'italic' },
  { id: 'outOfRange', description: 'A lab value outside its reference interval.', selector: '*.outOfRange', scopes: ['markup.bold'], style: 'bold' },
  { id: 'implausible', description: 'A lab value outside what is physiologically possible (a dropped decimal point?).', selector: '*.implausible', scopes: ['markup.strikethrough'], style: 'strikethrough' },
];

/**
 * Selectors with two modifiers: without them two single-modifier rules of equal weight would
 * both set every font style and the last one would win; uncertainty is the one to keep visible.
 */
export const COMBINED_MODIFIER_SCOPES: Readonly<Record<string, string[]>> = {
  '*.uncertain.abbreviation': ['markup.underline'],
  '*.corrected.abbreviation': ['strong'],
};

/** The `semanticTokenScopes` contribution: one entry for every language. */
export function semanticTokenScopes(): Record<string, string[]> {
  const scopes: Record<string, string[]> = {};
  for (const t of ENTITY_TYPES) scopes[t.id] = [...t.scopes];
  for (const t of LAB_TOKEN_TYPES) scopes[t.id] = [...t.scopes];
  for (const t of CUSTOM_TOKEN_TYPES) scopes[t.id] = [...t.scopes];
  for (const m of TOKEN_MODIFIERS) scopes[m.selector] = [...m.scopes];
  for (const [selector, s] of Object.entries(COMBINED_MODIFIER_SCOPES)) scopes[selector] = [...s];
  return scopes;
}

/** A Markdown table of the colours, as the README shows it. */
export function legendMarkdown(): string {
  const rows = ENTITY_TYPES.map(
    (t) => `| ${t.label} | \`${t.id}\` | \`${t.superType}\` | \`${t.scopes[0]}\` | \`${t.dark}\` | \`${t.light}\` |`,
  );
  return [
    '| entity | token type | super type | scope | Dark+ | Light+ |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
