// How a message and its comment thread look. Buttons carry a `data-action`
// that the chat handles by delegation; every piece of user data is text.

import { el } from './dom.js';
import { stamp } from './time.js';

function timeElement(iso) {
  const { datetime, title, text } = stamp(iso);
  return el('time', { datetime, title }, text);
}

export function commentElement(comment) {
  return el(
    'li',
    { class: 'comment', dataset: { commentId: comment.id } },
    el('span', { class: 'author' }, comment.author),
    el('span', { class: 'comment-text' }, comment.comment_text),
    timeElement(comment.created),
  );
}

/**
 * A message of the open chat. `reportable`: offer to report its author
 * (another user, in the public chat).
 */
export function messageElement(message, { mine, reportable }) {
  const actions = el(
    'span',
    { class: 'actions' },
    el('button', {
      type: 'button', class: 'quiet', dataset: { action: 'comment' },
      'aria-label': `Comment on the message of ${message.author}`,
    }, 'Comment'),
    reportable && el('button', { type: 'button', class: 'quiet', dataset: { action: 'report' } }, `Report ${message.author}`),
  );
  const item = el(
    'li',
    {
      class: mine ? 'message mine' : 'message',
      dataset: { messageId: message.id, author: message.author },
    },
    el('div', { class: 'meta' }, el('span', { class: 'author' }, message.author), timeElement(message.pub_date), actions),
    el('p', { class: 'text' }, message.message_text),
    el(
      'div',
      { class: 'thread' },
      el('button', { type: 'button', class: 'quiet older', dataset: { action: 'older' }, hidden: true }),
      el('ol', { class: 'comments', 'aria-label': `Comments on the message of ${message.author}` }),
    ),
  );
  item.commentsTotal = message.comments_total ?? message.comments?.length ?? 0;
  for (const comment of message.comments ?? []) addComment(item, comment, false);
  showOlderButton(item);
  return item;
}

function commentList(item) {
  return item.querySelector('.comments');
}

/** How many comments the thread shows now. */
export function shownComments(item) {
  return commentList(item).children.length;
}

/** The oldest comment shown, for paging further back. */
export function oldestCommentId(item) {
  return Number(commentList(item).firstElementChild?.dataset.commentId ?? 0) || null;
}

/**
 * Puts a comment in its place in the thread (by id), once. `counted`: a new
 * comment (live or just posted) that adds to the message's total.
 */
export function addComment(item, comment, counted) {
  const list = commentList(item);
  if (list.querySelector(`[data-comment-id="${comment.id}"]`)) return;
  const node = commentElement(comment);
  const after = [...list.children].find((child) => Number(child.dataset.commentId) > comment.id);
  list.insertBefore(node, after ?? null);
  if (counted) item.commentsTotal += 1;
  showOlderButton(item);
}

/** The "older comments" button says how many are not shown, or hides. */
export function showOlderButton(item) {
  const button = item.querySelector('.older');
  const hidden = Math.max(0, item.commentsTotal - shownComments(item));
  button.hidden = hidden === 0;
  button.textContent = hidden === 1 ? 'Show 1 older comment' : `Show ${hidden} older comments`;
}

/** The comment form under a message, made on first use. */
export function commentForm(item) {
  let form = item.querySelector('.comment-form');
  if (form) return form;
  const id = `comment-${item.dataset.messageId}`;
  form = el(
    'form',
    { class: 'comment-form row' },
    el('label', { for: id, class: 'sr-only' }, `Comment on the message of ${item.dataset.author}`),
    el('input', { id, name: 'comment', autocomplete: 'off', maxlength: 4096, placeholder: 'Your comment' }),
    el('button', { type: 'submit' }, 'Post'),
  );
  item.querySelector('.thread').append(form);
  return form;
}

/** A line that marks where the unread messages begin. */
export function markFirstUnread(item) {
  item.classList.add('new-mark');
  item.setAttribute('aria-description', 'first unread message');
}
