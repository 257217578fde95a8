// Reactions under a message: one button per emoji with its count (who
// reacted in its title and name, for hover and focus), pressed when the
// signed-in user is among them, toggling theirs; and a small picker of
// common emoji plus those already on the message. Hook for tests:
// `[data-message-id] [data-reaction="<emoji>"]`.

import { call } from './api.js';
import { el } from './dom.js';
import { isMe } from './mentions.js';

const COMMON = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

function who(reaction) {
  const more = reaction.count - reaction.users.length;
  return reaction.users.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

function chip(reaction) {
  const names = who(reaction);
  return el(
    'button',
    {
      type: 'button', class: 'reaction', title: names,
      dataset: { action: 'react', reaction: reaction.emoji },
      'aria-pressed': String(reaction.users.some(isMe)),
      'aria-label': `${reaction.emoji} ${reaction.count}: ${names}`,
    },
    el('span', { 'aria-hidden': 'true' }, reaction.emoji),
    ' ',
    el('span', { class: 'count', 'aria-hidden': 'true' }, String(reaction.count)),
  );
}

/** Shows `reactions` (the server's list) on the message `item`. */
export function showReactions(item, reactions) {
  item.reactions = reactions ?? [];
  let bar = item.querySelector('.reactions');
  if (!bar) {
    bar = el('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions' });
    item.querySelector('.thread').before(bar);
  }
  bar.replaceChildren(...item.reactions.map(chip));
  bar.hidden = item.reactions.length === 0;
}

/** Opens (or closes) the picker under the message. */
export function togglePicker(item) {
  const open = item.querySelector('.picker');
  if (open) {
    open.remove();
    return;
  }
  const emoji = [...new Set([...COMMON, ...item.reactions.map((r) => r.emoji)])];
  const picker = el(
    'div',
    { class: 'picker', role: 'group', 'aria-label': 'Pick a reaction' },
    ...emoji.map((e) => el('button', { type: 'button', class: 'quiet', dataset: { action: 'react', pick: e } }, e)),
  );
  picker.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    picker.remove();
    item.querySelector('[data-action="menu"]').focus();
  });
  item.querySelector('.reactions').after(picker);
  picker.querySelector('button').focus();
}

/** Adds or takes back the signed-in user's `emoji` (a chip or a pick pressed). */
export async function toggleReaction(chat, item, button) {
  const emoji = button.dataset.reaction ?? button.dataset.pick;
  const mine = item.reactions.some((r) => r.emoji === emoji && r.users.some(isMe));
  item.querySelector('.picker')?.remove();
  const result = await call('POST', '/react', {
    message_id: Number(item.dataset.messageId), emoji, remove: mine,
  });
  if (!result.ok) {
    chat.refused(result);
    return;
  }
  showReactions(item, result.data.reactions);
  const again = [...item.querySelectorAll('[data-reaction]')].find((b) => b.dataset.reaction === emoji);
  (again ?? item.querySelector('[data-action="menu"]')).focus();
}
