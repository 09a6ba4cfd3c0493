/**
 * Where in a file a problem is: line and column (1-based, as editors count) for a JSON path such as
 * rules[2].conditions.all[2].operator, and the place and kind of a JSON syntax error. jsonc-parser
 * keeps source offsets, which JSON.parse does not; it is run in strict JSON mode (no comments, no
 * trailing commas), so it refuses exactly what the service refuses.
 */
import { closest, distance as distanceOf } from 'fastest-levenshtein';
import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type Node, type ParseError, type Segment } from 'jsonc-parser';

export interface Position {
  line: number;
  column: number;
}

export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

const SYNTAX_WORDS: Record<string, string> = {
  InvalidSymbol: 'an unexpected character',
  InvalidNumberFormat: 'a number written wrongly',
  PropertyNameExpected: 'a field name in double quotes is expected here (is there a comma too many before it?)',
  ValueExpected: 'a value is expected here (is there a comma too many, or a value missing?)',
  ColonExpected: 'a colon (:) is missing after the field name',
  CommaExpected: 'a comma is missing before this',
  CloseBraceExpected: 'a closing } is missing',
  CloseBracketExpected: 'a closing ] is missing',
  EndOfFileExpected: 'there is more text after the end of the JSON',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'a text in quotes is not closed',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'a \\u escape is wrong',
  InvalidEscapeCharacter: 'a backslash escape is wrong (write \\\\ for a backslash)',
  InvalidCharacter: 'a line break or control character inside quotes',
};

/** The first syntax error of a text that should be JSON, in words and with its place; undefined when it parses. */
export function jsonSyntaxError(text: string): (Position & { message: string }) | undefined {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return undefined;
  const code = printParseErrorCode(first.error);
  return { ...positionAt(text, first.offset), message: `not valid JSON: ${SYNTAX_WORDS[code] ?? code}` };
}

/** "rules[2].conditions.all[0].fact" → ["rules", 2, "conditions", "all", 0, "fact"]. */
export function pathSegments(path: string): Segment[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? '')));
}

/**
 * The place of the value at a path, or of the nearest enclosing value that exists (a missing field
 * is reported where it belongs); undefined when the text is not JSON or the path names no field.
 */
export function positionOfPath(text: string, path: string): Position | undefined {
  const root = parseTree(text, [], { disallowComments: true, allowTrailingComma: false });
  if (!root) return undefined;
  const segments = pathSegments(path);
  if (!segments.length) return undefined;
  for (let n = segments.length; n > 0; n--) {
    const node: Node | undefined = findNodeAtLocation(root, segments.slice(0, n));
    if (node) return positionAt(text, node.offset);
  }
  return undefined;
}

/** The nearest known name when it is close enough to be a typo; undefined otherwise. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  if (!known.length || !name) return undefined;
  const best = closest(name, [...known]);
  const limit = Math.max(2, Math.floor(name.length / 3));
  return distanceOf(name.toLowerCase(), best.toLowerCase()) <= limit ? best : undefined;
}
