// Contract v3's changes to what is shown: an "edited" marker, tombstones of
// deleted messages and comments, reactions and mentions on a message;
// editing one's own message or comment in place (Enter saves, Escape
// cancels), deleting it after a second press; and the live `edited`,
// `deleted` and `reaction` events of the open chat.

import { call } from './api.js';
import { el, setText } from './dom.js';
import { formatted } from './format.js';
import { highlightMentions, isMe, sawName } from './mentions.js';
import { showReactions, toggleReaction, togglePicker } from './reactions.js';
import { fullTime } from './time.js';

/** The message menu's buttons of contract v3: react to any message; edit and delete one's own. */
export function menuButtons(mine) {
  const button = (action, words) => el('button', { type: 'button', class: 'quiet', dataset: { action } }, words);
  return [button('react-pick', 'React'), mine && button('edit', 'Edit'), mine && button('delete', 'Delete')];
}

/** The "edited" marker in `meta` (its time in the title), once. */
function markEdited(meta, edited) {
  if (!edited) return;
  let mark = meta.querySelector('.edited');
  if (!mark) {
    mark = el('span', { class: 'edited' }, 'edited');
    meta.querySelector('time').after(mark);
  }
  mark.title = `Edited ${fullTime(new Date(edited))}`;
}

function tombstoneWords(thing, what) {
  return thing.deleted_by && !isMe(thing.deleted_by) && thing.deleted_by !== thing.author
    ? 'deleted by a moderator' : `${what} deleted`;
}

/** Shows a message's text, marker, reactions and mentions, or its tombstone. */
export function dressMessage(item, message) {
  sawName(message.author);
  item.message = message;
  markEdited(item.querySelector('.meta'), message.edited);
  const text = item.querySelector('.text');
  if (message.deleted) {
    item.classList.add('deleted');
    text.className = 'text tombstone';
    setText(text, tombstoneWords(message, 'message'));
    for (const gone of item.querySelectorAll('.edit-form, .reactions, .picker, [data-action=expand], '
      + '[data-action=edit], [data-action=delete], [data-action=react-pick]')) gone.remove();
    text.hidden = false;
    return item;
  }
  text.replaceChildren(...formatted(message.message_text));
  highlightMentions(text, message.mentions);
  showReactions(item, message.reactions);
  return item;
}

/** A comment's "edited" marker, its tombstone, and for one's own: Edit and Delete. */
export function dressComment(node, comment) {
  sawName(comment.author);
  node.comment = comment;
  markEdited(node, comment.edited);
  const mine = isMe(comment.author);
  if (comment.deleted) {
    node.classList.add('deleted');
    setText(node.querySelector('.comment-text'), tombstoneWords(comment, 'comment'));
    for (const gone of node.querySelectorAll('.comment-actions, .edit-form')) gone.remove();
  } else if (mine && !node.querySelector('.comment-actions')) {
    node.append(el(
      'span',
      { class: 'comment-actions' },
      el('button', { type: 'button', class: 'quiet', dataset: { action: 'edit-comment' }, 'aria-label': 'Edit your comment' }, 'Edit'),
      el('button', { type: 'button', class: 'quiet', dataset: { action: 'delete-comment' }, 'aria-label': 'Delete your comment' }, 'Delete'),
    ));
  }
  return node;
}

/** Whether a second press confirms: the first turns `button` into "Confirm …" for 6 s. */
function confirmed(button, words) {
  if (button.dataset.confirm === 'yes') return true;
  const label = button.textContent;
  const aria = button.getAttribute('aria-label');
  button.dataset.confirm = 'yes';
  button.textContent = words;
  button.setAttribute('aria-label', words);
  setTimeout(() => {
    button.dataset.confirm = '';
    button.textContent = label;
    if (aria) button.setAttribute('aria-label', aria);
    else button.removeAttribute('aria-label');
  }, 6000);
  return false;
}

/** The edit box in place of `shown` (a message's text or a comment's), `text` in it. */
function editBox(shown, text, label, save, back) {
  shown.hidden = true;
  const id = `edit-${Math.random().toString(36).slice(2)}`;
  const field = el('textarea', { id, dir: 'auto', rows: Math.min(8, text.split('\n').length + 1) });
  field.value = text;
  const form = el(
    'form',
    { class: 'edit-form' },
    el('label', { for: id, class: 'sr-only' }, label),
    field,
    el(
      'div',
      { class: 'row' },
      el('button', { type: 'submit', class: 'quiet' }, 'Save'),
      el('button', { type: 'button', class: 'quiet', onclick: () => close() }, 'Cancel'),
      el('span', { class: 'hint' }, 'Enter saves, Escape cancels'),
    ),
  );
  const close = () => {
    form.remove();
    shown.hidden = false;
    back.focus();
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (!field.value.trim()) return;
    if (field.value === text) close();
    else if (await save(field.value)) close();
  };
  field.onkeydown = (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  };
  shown.after(form);
  field.focus();
}

async function post(chat, path, body) {
  const result = await call('POST', path, body);
  if (!result.ok) chat.refused(result);
  else chat.notice('');
  return result;
}

/** Handles a v3 action pressed in message `item`; false when it is not one. */
export async function act(chat, action, item, button) {
  const messageId = Number(item.dataset.messageId);
  const menu = item.querySelector('[data-action="menu"]');
  const comment = button.closest('.comment');
  const commentId = Number(comment?.dataset.commentId);
  if (action === 'react-pick') {
    togglePicker(item);
  } else if (action === 'react') {
    await toggleReaction(chat, item, button);
  } else if (action === 'edit' && !item.querySelector(':scope > .edit-form')) {
    editBox(item.querySelector('.text'), item.message.message_text, 'Edit your message', async (text) => {
      const result = await post(chat, '/edit', { message_id: messageId, message: text });
      if (result.ok) dressMessage(item, { ...item.message, message_text: text, edited: result.data.edited });
      return result.ok;
    }, menu);
  } else if (action === 'edit-comment' && !comment.querySelector('.edit-form')) {
    editBox(comment.querySelector('.comment-text'), comment.comment.comment_text, 'Edit your comment', async (text) => {
      const result = await post(chat, '/edit', { comment_id: commentId, comment: text });
      if (result.ok) {
        setText(comment.querySelector('.comment-text'), text);
        dressComment(comment, { ...comment.comment, comment_text: text, edited: result.data.edited });
      }
      return result.ok;
    }, button);
  } else if (action === 'delete' && confirmed(button, 'Confirm: delete this message')) {
    const result = await post(chat, '/delete', { message_id: messageId });
    if (result.ok) {
      dressMessage(item, { ...item.message, message_text: '', deleted: true });
      menu.focus();
    }
  } else if (action === 'delete-comment' && confirmed(button, 'Confirm: delete this comment')) {
    const result = await post(chat, '/delete', { comment_id: commentId });
    if (result.ok) {
      dressComment(comment, { ...comment.comment, comment_text: '', deleted: true });
      menu.focus();
    }
  } else {
    return ['edit', 'edit-comment', 'delete', 'delete-comment'].includes(action);
  }
  return true;
}

/**
 * A live `edited`, `deleted` or `reaction` event (or a `message` already
 * shown): shown at once if its message is open.
 */
export function applyChange(chat, event) {
  const id = event.message_id ?? event.message?.id;
  const item = String(event.chat).toLowerCase() === chat.name?.toLowerCase() ? chat.item(id) : null;
  if (!item) return;
  if (event.type === 'reaction') {
    showReactions(item, event.reactions);
  } else if (event.comment) {
    const node = item.querySelector(`[data-comment-id="${Number(event.comment.id)}"]`);
    if (!node) return;
    if (!event.comment.deleted) setText(node.querySelector('.comment-text'), event.comment.comment_text);
    dressComment(node, event.comment);
  } else {
    dressMessage(item, event.message);
  }
}
