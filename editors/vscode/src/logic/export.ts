/**
 * Export choices and where their files go: a document's entities in one of the server's
 * annotation formats, or the corrections so far; the default file sits next to the document.
 * No `vscode` import: this module is unit-tested under plain Node.
 */

import * as path from 'node:path';

export interface ExportChoice {
  /** `bioscope.exportDocument` or `bioscope.exportCorrections`. */
  kind: 'document' | 'corrections';
  format: string;
  label: string;
  description: string;
  /** Appended to the document's name without its extension. */
  suffix: string;
}

export const EXPORT_CHOICES: readonly ExportChoice[] = [
  { kind: 'document', format: 'pubtator', label: 'PubTator', description: "this document's entities with identifiers", suffix: '.pubtator' },
  { kind: 'document', format: 'bioc', label: 'BioC XML', description: "this document's entities with identifiers", suffix: '.bioc.xml' },
  { kind: 'document', format: 'brat', label: 'brat standoff (.ann)', description: 'offsets into the document text', suffix: '.ann' },
  { kind: 'document', format: 'conll', label: 'CoNLL (BIO per word)', description: "this document's words and tags", suffix: '.conll' },
  { kind: 'corrections', format: 'jsonl', label: 'Corrections (JSONL)', description: 'every decision so far, as stored', suffix: '.corrections.jsonl' },
  { kind: 'corrections', format: 'pubtator', label: 'Corrections (PubTator)', description: 'one document per corrected paragraph, with the labels your decisions leave', suffix: '.corrections.pubtator' },
  { kind: 'corrections', format: 'bioc', label: 'Corrections (BioC XML)', description: 'the corrected paragraphs and their labels', suffix: '.corrections.bioc.xml' },
  { kind: 'corrections', format: 'brat', label: 'Corrections (brat standoff)', description: 'the corrected paragraphs (.txt) and their labels (.ann)', suffix: '.corrections.ann' },
  { kind: 'corrections', format: 'conll', label: 'Corrections (CoNLL)', description: 'the corrected paragraphs, BIO per word', suffix: '.corrections.conll' },
];

/** brat reads the text from a `.txt` beside the `.ann`: its path for an export target. */
export function bratTextPath(annPath: string): string {
  return annPath.replace(/\.ann$/, '') + '.txt';
}

/**
 * The default path for an export: `dir/paper.md` → `dir/paper.pubtator`. An untitled buffer
 * (no file path) goes to `fallbackDir` named after its title.
 */
export function exportPath(documentPath: string | undefined, untitledName: string, fallbackDir: string, choice: ExportChoice): string {
  if (documentPath) {
    const parsed = path.parse(documentPath);
    return path.join(parsed.dir, parsed.name + choice.suffix);
  }
  const base = untitledName.replace(/[\\/:*?"<>|]+/g, '-').replace(/\.[^.]*$/, '') || 'untitled';
  return path.join(fallbackDir, base + choice.suffix);
}
