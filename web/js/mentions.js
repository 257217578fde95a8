// Mentions: `@name` in a message highlighted (the signed-in user's own more
// strongly), and `@` completion in the composer from the people the open
// chat can mention: the server's directory (GET /users?q=), else the names
// the page has seen.

import { call } from './api.js';
import { byId, el } from './dom.js';
import { PUBLIC } from './status.js';

let me = '';
const seen = new Set();
/** Whether the server has the directory (false after a 404: use the names seen). */
let directory = true;

/** Who is signed in (the page's mentions of them stand out). */
export function knowMe(name) {
  me = name;
}

export function isMe(name) {
  return Boolean(name) && name.toLowerCase() === me.toLowerCase();
}

/** A name the page showed, for completion without the directory. */
export function sawName(name) {
  if (name && !isMe(name)) seen.add(name);
}

/** The API's rule: `@` not preceded by a letter, digit or `_`. */
const WORD = /[\p{L}\p{N}_]/u;
const NAME_RUN = /^[A-Za-z0-9_.-]*/;

/**
 * Wraps each `@name` of `names` (the message's `mentions`) in the text
 * under `box` in a `.mention` (`.mention.me` for the signed-in user), as
 * DOM nodes; code and links are left alone.
 */
export function highlightMentions(box, names) {
  if (!names?.length) return;
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest('code, a')) nodes.push(node);
  }
  for (const node of nodes) {
    const text = node.data;
    const parts = [];
    let at = 0;
    for (let i = text.indexOf('@'); i >= 0; i = text.indexOf('@', i + 1)) {
      if (i > 0 && WORD.test(text[i - 1])) continue;
      // As the server reads it: the run of name characters, or the run
      // without a trailing `.` or `-` ("thanks @bob.").
      const run = NAME_RUN.exec(text.slice(i + 1))[0];
      const name = [run, run.replace(/[.-]+$/, '')].find((n) => n && wanted.has(n.toLowerCase()));
      if (!name) {
        i += run.length;
        continue;
      }
      parts.push(text.slice(at, i));
      const end = i + 1 + name.length;
      parts.push(el('span', { class: isMe(name) ? 'mention me' : 'mention' }, text.slice(i, end)));
      at = end;
      i = end - 1;
    }
    if (!parts.length) continue;
    parts.push(text.slice(at));
    node.replaceWith(...parts.filter((part) => part !== ''));
  }
}

/** The chat list's mark of `n` unread messages that mention the signed-in user. */
export function mentionBadge(n) {
  if (!n) return null;
  return el('span', { class: 'mentioned', title: `${n} mentioning you` },
    el('span', { 'aria-hidden': 'true' }, '@'), el('span', { class: 'sr-only' }, `${n} mentioning you`));
}

/** The `@prefix` being typed just before the caret, or null. */
function typedMention(field) {
  const before = field.value.slice(0, field.selectionStart);
  const found = /@([A-Za-z0-9_.-]{0,32})$/.exec(before);
  if (!found || (found.index > 0 && WORD.test(before[found.index - 1]))) return null;
  return { start: found.index, prefix: found[1] };
}

/** Names starting with `prefix` that the chat `chat` can mention, at most 8. */
async function candidates(chat, prefix) {
  const lower = prefix.toLowerCase();
  // A private chat: only the other person sees it.
  if (chat !== PUBLIC && !chat.startsWith('#')) return chat.toLowerCase().startsWith(lower) ? [chat] : [];
  const names = [];
  if (directory) {
    const result = await call('GET', `/users?q=${encodeURIComponent(prefix)}&limit=8`);
    if (result.ok) names.push(...result.data.users.map((u) => u.user_name));
    else if (result.status === 404 || result.status === 405) directory = false;
  }
  for (const name of seen) if (name.toLowerCase().startsWith(lower)) names.push(name);
  const unique = new Map(names.filter((n) => !isMe(n)).map((n) => [n.toLowerCase(), n]));
  return [...unique.values()].sort((a, b) => a.localeCompare(b)).slice(0, 8);
}

/**
 * `@` completion for the composer: a list of names under the caret's
 * word; Up and Down move, Enter or Tab takes one, Escape closes.
 */
class MentionCompleter {
  constructor() {
    this.field = byId('compose');
    this.list = byId('mention-list');
    this.chatName = () => null;
    this.asked = 0;
    this.options = [];
    this.close();
    this.field.setAttribute('aria-autocomplete', 'list');
    this.field.setAttribute('aria-controls', 'mention-list');
    // Made once per page (completeMentions). The form hears keys first
    // (capture), before the composer's Enter sends.
    this.field.addEventListener('input', () => this.update());
    byId('composer').addEventListener('keydown', (event) => this.key(event), true);
    this.field.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    this.list.onmousedown = (event) => {
      event.preventDefault();
      const option = event.target.closest('[role=option]');
      if (option) this.take(Number(option.dataset.index));
    };
  }

  async update() {
    const typed = typedMention(this.field);
    const chat = this.chatName();
    if (!typed || !chat) {
      this.close();
      return;
    }
    this.asked += 1;
    const asked = this.asked;
    const names = await candidates(chat, typed.prefix);
    if (asked !== this.asked) return;
    this.typed = typed;
    this.show(names);
  }

  show(names) {
    this.options = names;
    this.active = 0;
    this.list.replaceChildren(...names.map((name, index) => el('li', {
      role: 'option', id: `mention-${index}`, dataset: { index }, 'aria-selected': String(index === 0),
    }, el('bdi', {}, name))));
    this.list.hidden = names.length === 0;
    if (names.length) this.field.setAttribute('aria-activedescendant', 'mention-0');
    else this.field.removeAttribute('aria-activedescendant');
  }

  close() {
    this.options = [];
    this.list.hidden = true;
    this.list.replaceChildren();
    this.field.removeAttribute('aria-activedescendant');
  }

  move(by) {
    const n = this.options.length;
    this.list.children[this.active].setAttribute('aria-selected', 'false');
    this.active = (this.active + by + n) % n;
    this.list.children[this.active].setAttribute('aria-selected', 'true');
    this.field.setAttribute('aria-activedescendant', `mention-${this.active}`);
  }

  key(event) {
    if (event.target !== this.field || !this.options.length || event.isComposing) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) this.move(moves[event.key]);
    else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') this.take(this.active);
    else if (event.key === 'Escape') this.close();
    else return;
    event.preventDefault();
    event.stopPropagation();
  }

  /** Puts `@name ` in place of what was typed. */
  take(index) {
    const name = this.options[index];
    if (!name) return;
    const { field } = this;
    const end = field.selectionStart;
    const insert = `@${name} `;
    field.value = field.value.slice(0, this.typed.start) + insert + field.value.slice(end);
    const caret = this.typed.start + insert.length;
    field.setSelectionRange(caret, caret);
    this.close();
    // The draft and the counter follow the composer's input.
    field.dispatchEvent(new Event('input'));
    field.focus();
  }
}

let completer = null;

/** Completes `@` in the composer for the chat `chatName()` names. */
export function completeMentions(chatName) {
  completer ??= new MentionCompleter();
  completer.chatName = chatName;
}
