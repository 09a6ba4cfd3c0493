/** Markdown a module built itself from escaped record text, so the renderer does not escape it again. */
export class Markdown {
  constructor(readonly text: string) {}
}

/** Record text is data, not markup: in markdown it must not open tags, links or emphasis of its own. */
const MARKUP = /[&<>\\`*_[\]!#|~]/g;
const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

export function escapeMarkdown(value: string): string {
  return value.replace(MARKUP, (c) => ENTITY[c] ?? `\\${c}`);
}
