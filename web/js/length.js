// How long a text is, counted as the server counts it: in Unicode scalar
// values (an emoji is one), not in UTF-16 units as `maxlength` and
// `String.length` count (an emoji is two there). A counter shows near the
// limit; nothing is cut: the person is told, in words, how much is over.

let limit = 4096;
const NEAR = 0.9;
const number = new Intl.NumberFormat();

/** How many characters the server counts in `text`. */
export function scalars(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/** The server's limit, read from its refusal (`--text-limit` may differ from 4,096). */
export function learnLimit(said) {
  const found = /1 to (\d+) characters/.exec(said ?? '');
  if (found) limit = Number(found[1]);
}

/** How many characters `text` is over the limit (0: it fits). */
export function over(text) {
  return Math.max(0, scalars(text) - limit);
}

/** The sentence for a text the server refused as empty or too long. */
export function tooLongWords(text) {
  const extra = text === undefined ? 0 : over(text);
  const rule = `1 to ${number.format(limit)} characters (not only spaces)`;
  if (!extra) return `A message or comment has ${rule}.`;
  const unit = extra === 1 ? 'character' : 'characters';
  return `This is ${number.format(extra)} ${unit} too long: a message has ${rule}. Shorten it, or send it in parts.`;
}

/** A function that makes `out` say how much room is left in `field`, once near the limit. */
export function countInto(field, out) {
  const update = () => {
    const used = scalars(field.value);
    out.classList.toggle('over', used > limit);
    if (used < limit * NEAR) {
      out.textContent = '';
    } else if (used <= limit) {
      out.textContent = `${number.format(limit - used)} characters left`;
    } else {
      out.textContent = `${number.format(used - limit)} characters over the limit of ${number.format(limit)}`;
    }
  };
  return update;
}
