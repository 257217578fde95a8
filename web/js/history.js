// "Load older" at the top of a chat: pages back through `GET /messages`
// (which moves no read position) to the chat's beginning, keeping the view.

import { call } from './api.js';
import { el } from './dom.js';
import { PUBLIC } from './status.js';

const PAGE = 50;

/** The line at the top of the list: a button for older messages, or the beginning. */
export function offerOlder(list, more) {
  list.querySelector(':scope > .older-row')?.remove();
  const row = more
    ? el('li', { class: 'older-row' },
      el('button', { type: 'button', class: 'secondary', dataset: { action: 'load-older' } }, 'Load older messages'))
    : el('li', { class: 'older-row beginning', tabindex: '-1' }, 'The beginning of this chat');
  list.prepend(row);
}

/** Puts the page of messages before the oldest one shown in `chat` (a Chat). */
export async function loadOlder(chat, button) {
  const { list } = chat;
  const oldest = Number(list.querySelector(':scope > .message')?.dataset.messageId ?? 0);
  const name = chat.name ?? PUBLIC;
  const before = oldest ? `&before=${oldest}` : '';
  button.disabled = true;
  const result = await call('GET', `/messages?chat=${encodeURIComponent(name)}${before}&limit=${PAGE}`);
  button.disabled = false;
  // The chat changed while the page was asked for: it is not this one's.
  if (chat.name !== name) return;
  if (!result.ok) {
    chat.refused(result);
    return;
  }
  const height = list.scrollHeight;
  const top = list.scrollTop;
  for (const message of result.data.messages) chat.show(message, false);
  chat.arrange();
  offerOlder(list, result.data.more);
  // What was in view stays in view: the new messages grow the list above it.
  list.scrollTop = top + list.scrollHeight - height;
  const next = list.querySelector('[data-action="load-older"]');
  if (next) next.focus();
  else list.querySelector(':scope > .beginning').focus();
}
