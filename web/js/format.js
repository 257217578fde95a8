// A message's text as DOM nodes: http(s) links, `inline code`, fenced code
// blocks, **bold** and *italic* (or _italic_). Built only with text nodes and
// a few fixed elements: no text is ever parsed as HTML, and a link's target
// is exactly its visible text (an http or https URL, ASCII only, so no
// look-alike letters or bidi controls hide in it).

import { el } from './dom.js';

const FENCE = /```[^\n`]*\n?([\s\S]*?)\n?```\n?/g;
const INLINE = new RegExp([
  '`([^`\\n]+)`', // 1: code
  '\\*\\*(\\S(?:[^*\\n]*?\\S)?)\\*\\*', // 2: bold
  '(?<![\\w*])\\*(\\S(?:[^*\\n]*?\\S)?)\\*(?![\\w*])', // 3: italic
  '(?<![\\w_])_(\\S(?:[^_\\n]*?\\S)?)_(?![\\w_])', // 4: italic
  "(https?://[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=%]+)", // 5: a link
].join('|'), 'g');
/** Punctuation that ends a sentence rather than a URL. */
const TRAILING = /[.,;:!?'()\]]+$/;

function link(url) {
  return el('a', { href: url, rel: 'noopener noreferrer', target: '_blank', dir: 'ltr' }, url);
}

/** The inline nodes of `text` (no code fences in it). */
function inline(text) {
  const nodes = [];
  let at = 0;
  for (const found of text.matchAll(INLINE)) {
    let [whole] = found;
    const [, code, bold, star, under, url] = found;
    let tail = '';
    if (url) {
      tail = TRAILING.exec(url)?.[0] ?? '';
      // A closing bracket stays when the URL opened one: (see https://x/a_(b)).
      if (tail.startsWith(')') && url.slice(0, -tail.length).includes('(')) tail = tail.slice(1);
      whole = whole.slice(0, whole.length - tail.length);
    }
    if (found.index > at) nodes.push(text.slice(at, found.index));
    if (code) nodes.push(el('code', {}, code));
    else if (bold) nodes.push(el('strong', {}, ...inline(bold)));
    else if (star || under) nodes.push(el('em', {}, ...inline(star || under)));
    else if (/^https?:\/\/./.test(whole)) nodes.push(link(whole));
    else nodes.push(whole);
    if (tail) nodes.push(tail);
    at = found.index + found[0].length;
  }
  if (at < text.length) nodes.push(text.slice(at));
  return nodes;
}

/** The nodes that show `text` formatted. */
export function formatted(text) {
  const nodes = [];
  let at = 0;
  for (const found of text.matchAll(FENCE)) {
    nodes.push(...inline(text.slice(at, found.index)));
    nodes.push(el('pre', { dir: 'ltr' }, el('code', {}, found[1])));
    at = found.index + found[0].length;
  }
  nodes.push(...inline(text.slice(at)));
  return nodes;
}
