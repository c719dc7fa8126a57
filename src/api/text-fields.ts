/**
 * Free-text fields (names, address lines, reasons) as zod schemas whose JSON Schema pattern is
 * exactly the server's rule, so /openapi.json and the validator agree. Refused everywhere: C0 and
 * C1 control characters (tab and line breaks only in multi-line text), invisible format characters
 * (soft hyphen, zero-width space, word joiner, byte-order mark), bidi marks, embeddings, overrides
 * and isolates, line/paragraph separators, and lone surrogates. These spoof what an operator reads
 * or break what downstreams print. ZWJ and ZWNJ (U+200D, U+200C) stay: Persian and Indic names and
 * emoji need them. Lengths count characters (code points). A field must also hold something besides whitespace; the value is trimmed after
 * it is checked, so the length limits count what was sent.
 *
 * The patterns avoid lookaheads, \s and surrogate ranges, whose meaning differs between regex
 * engines (Rust's and Go's cannot compile a surrogate range at all), so JSON Schema tools in other
 * languages read them as JavaScript does. Lone surrogates, which no portable pattern can name, are
 * refused by a separate check and said so in the field's description.
 */
import { z } from 'zod';

const CONTROL_EXCEPT_TAB_AND_BREAKS = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f';
const TAB_AND_BREAKS = '\\t\\n\\r';
const INVISIBLE =
  '\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b\\u200e\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff';
/** With the u flag a surrogate range matches only a surrogate without its pair. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const SPACE = ' \\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000';

/** `^<spaces>*<one visible character><any allowed character>*$`, or allowed characters only when blank is fine. */
function pattern(refused: string, spaces: string, blankAllowed: boolean): RegExp {
  const allowed = `[^${refused}]*`;
  return new RegExp(blankAllowed ? `^${allowed}$` : `^[${spaces}]*[^${refused}${spaces}]${allowed}$`, 'u');
}

function describe(input: unknown, rule: RegExp): string {
  if (typeof input !== 'string') return 'expected text';
  const refused = [...input].find((ch) => !rule.test(ch));
  if (refused === undefined) return 'must not be blank';
  const code = refused.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `contains U+${code}, a control, invisible or bidirectional-formatting character`;
}

function textSchema(max: number, { multiLine = false, blankAllowed = false } = {}) {
  const refused = multiLine ? CONTROL_EXCEPT_TAB_AND_BREAKS : `\\u0000-\\u001f`;
  const spaces = multiLine ? `${SPACE}${TAB_AND_BREAKS}` : SPACE;
  const rule = pattern(`${refused}${INVISIBLE}`, spaces, blankAllowed);
  // Each character on its own against the allowed set, for the message naming the first offender.
  const single = pattern(`${refused}${INVISIBLE}`, spaces, true);
  return (
    z
      .string()
      // In characters (code points), as JSON Schema's maxLength counts, not UTF-16 units: an emoji is one.
      .refine((s) => [...s].length <= max, `expected at most ${max} characters`)
      .regex(rule, { error: (issue) => describe(issue.input, single) })
      .refine((s) => !LONE_SURROGATE.test(s), 'contains a lone surrogate (U+D800-U+DFFF), which is not text')
      .trim()
      .meta({
        maxLength: max,
        description: 'Text as the pattern says; a surrogate without its pair (not text) is refused as well.',
      })
  );
}

/** One line of text: a name, an address line, a city, a postal code. */
export const lineText = (max: number) => textSchema(max);

/** Text an operator writes (a reason); tab and line breaks allowed. */
export const noteText = (max: number) => textSchema(max, { multiLine: true });

/** Like `noteText`, but may be empty (an optional comment). */
export const optionalNoteText = (max: number) => textSchema(max, { multiLine: true, blankAllowed: true });
