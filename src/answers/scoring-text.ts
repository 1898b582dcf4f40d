// The copy of a text that the safety models read. Evasions that a reader sees through
// but a tokenizer does not — full-width or math-bold letters, zero-width and bidi controls
// between letters, JSON escapes in tool-call arguments — are undone here, once, for every
// score. What the app receives is never this copy: it stays byte for byte as it came.

/** JSON string escapes (`\u0062`, `\n`, `\"`…) as the characters they stand for. */
function decodeJsonEscapes(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g, (_, esc: string) => {
    if (esc[0] === 'u') return String.fromCharCode(parseInt(esc.slice(1), 16));
    return ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[esc] ?? esc;
  });
}

/** Characters that render as nothing (zero-width, soft hyphen, joiners, variation selectors) and bidi controls. */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/gu;

const plain = (text: string) => text.normalize('NFKC').replace(INVISIBLE, '');

/**
 * The text as the safety models score it: Unicode NFKC (compatibility forms to their
 * plain letters) with invisible and bidi-control characters removed, JSON escapes decoded
 * (twice, for an escaped escape), then the same again for what the escapes spelled.
 */
export function scoringText(text: string): string {
  return plain(decodeJsonEscapes(decodeJsonEscapes(plain(text))));
}
