// The search box (issue 27): `GET /search`, the results under the box, each
// a button that opens its chat at that message. The words that matched are
// marked with <mark> elements built here: the server's text only ever
// enters the page as text nodes (see dom.js), never as markup.

import { call } from './api.js';
import { byId, el, setText } from './dom.js';
import { shortTime } from './time.js';

/** How long typing must pause before a search is asked. */
const PAUSE_MS = 250;

/**
 * A word as the server folds it (core/src/search.rs): compatibility
 * decomposition, combining marks dropped, lowercased.
 */
export function fold(word) {
  return word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The words of a text: runs of letters and digits. */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/**
 * `text` as nodes, each word the query matched in a <mark>: the query's
 * words whole, its last word also as the start of a word.
 */
export function marked(text, query) {
  const words = (query.match(WORD) ?? []).map(fold);
  const last = words.pop() ?? '';
  const matches = (word) => {
    const folded = fold(word);
    return words.includes(folded) || (last !== '' && folded.startsWith(last));
  };
  const nodes = [];
  let at = 0;
  for (const found of text.matchAll(WORD)) {
    if (!matches(found[0])) continue;
    if (found.index > at) nodes.push(text.slice(at, found.index));
    nodes.push(el('mark', {}, found[0]));
    at = found.index + found[0].length;
  }
  if (at < text.length) nodes.push(text.slice(at));
  return nodes;
}

/** Where a result was said: "public", "in #design" or "with bob". */
function place(result) {
  if (result.chat_type === 'public') return 'public';
  if (result.chat_type === 'room') return `in ${result.chat}`;
  return `with ${result.chat}`;
}

export class SearchBox {
  /** `open(chat, messageId)` opens a chat at a message. */
  constructor(open) {
    this.open = open;
    this.input = byId('search');
    this.list = byId('search-results');
    this.status = byId('search-status');
    this.timer = null;
    this.asked = 0;
    byId('search-form').onsubmit = (event) => {
      event.preventDefault();
      this.ask();
    };
    this.input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.ask(), PAUSE_MS);
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.clear();
    });
  }

  clear() {
    clearTimeout(this.timer);
    this.asked += 1;
    this.input.value = '';
    this.list.replaceChildren();
    setText(this.status, '');
  }

  async ask() {
    clearTimeout(this.timer);
    const query = this.input.value.trim();
    const asked = ++this.asked;
    if (!/[\p{L}\p{N}]/u.test(query)) {
      this.list.replaceChildren();
      setText(this.status, '');
      return;
    }
    const result = await call('GET', `/search?q=${encodeURIComponent(query)}`);
    // A later question has been asked meanwhile: its answer is the one shown.
    if (asked !== this.asked) return;
    if (!result.ok) {
      this.list.replaceChildren();
      setText(this.status, result.words);
      return;
    }
    const { results, more } = result.data;
    this.list.replaceChildren(...results.map((found) => this.item(found, query)));
    let words = results.length === 0 ? 'No messages match.' : `${results.length} found`;
    if (more) words += ', newest first; add a word to see older ones.';
    setText(this.status, words);
  }

  item(found, query) {
    const { message } = found;
    return el(
      'li',
      {},
      el(
        'button',
        {
          type: 'button',
          class: 'result',
          dataset: { messageId: message.id, chat: found.chat },
          onclick: () => this.open(found.chat, message.id),
        },
        el(
          'span',
          { class: 'where' },
          `${message.author} · ${place(found)} · `,
          el('time', { datetime: message.pub_date }, shortTime(new Date(message.pub_date))),
        ),
        el('span', { class: 'said', dir: 'auto' }, ...marked(message.message_text, query)),
      ),
    );
  }
}
