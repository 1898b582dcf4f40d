// A JSON request body whose string values may be large base64 texts held as Blobs (inline
// images): the JSON is written around them and the body is a Blob of [json, blob, json, …],
// so the browser uploads the image's text without the page ever copying it into one string.
import { Base64Text } from '../../images/base64-blob.ts';

/** The body for `fetch`: a string when nothing in `value` is held as a Blob, else a Blob. */
export function jsonBody(value: unknown): string | Blob {
  const held: Base64Text[] = [];
  // A marker no other value can contain: a fresh random id per body.
  const marker = `vlm-guard-blob-${crypto.randomUUID()}-`;
  const json = JSON.stringify(value, (_key, item: unknown) => {
    if (!(item instanceof Base64Text)) return item;
    held.push(item);
    return `${marker}${held.length - 1}`;
  });
  if (held.length === 0) return json;
  const parts: BlobPart[] = [];
  let at = 0;
  held.forEach((item, i) => {
    const quoted = JSON.stringify(`${marker}${i}`);
    const found = json.indexOf(quoted, at);
    // The marker's opening quote stays; the value's head is JSON-escaped without its quotes.
    parts.push(json.slice(at, found + 1), JSON.stringify(item.head).slice(1, -1), item.base64);
    at = found + quoted.length - 1;
  });
  parts.push(json.slice(at));
  return new Blob(parts);
}
