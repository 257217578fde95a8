// How a message and its comment thread look. Buttons carry a `data-action`
// that the chat handles by delegation; every piece of user data is text
// (formatted only as DOM nodes, format.js). Names are `<bdi>` and texts
// `dir="auto"`: each has its own direction, and a bidi override inside one
// cannot reorder anything around it.

import { el } from './dom.js';
import { dressComment, dressMessage, menuButtons } from './edit.js';
import { formatted } from './format.js';
import { stamp } from './time.js';

/** A text longer than this (characters or lines) is shown collapsed, with "Show more". */
const LONG_CHARS = 700;
const LONG_LINES = 12;

function name(author) {
  return el('bdi', { class: 'author' }, author);
}

function timeElement(iso) {
  const { datetime, title, text } = stamp(iso);
  return el('time', { datetime, title }, text);
}

export function commentElement(comment) {
  return dressComment(el(
    'li',
    { class: 'comment', dataset: { commentId: comment.id } },
    name(comment.author),
    ' ',
    el('span', { class: 'comment-text', dir: 'auto' }, comment.comment_text),
    timeElement(comment.created),
  ), comment);
}

/**
 * A message of the open chat. `reportable`: offer to report its author
 * (another user, in the public chat).
 */
export function messageElement(message, { mine, reportable }) {
  // One tab stop per message: its actions sit behind one "…" button.
  const menuId = `actions-${message.id}`;
  const actions = el(
    'span',
    { class: 'actions', id: menuId, hidden: true },
    el('button', { type: 'button', class: 'quiet', dataset: { action: 'comment' } }, 'Comment'),
    reportable && el('button', { type: 'button', class: 'quiet', dataset: { action: 'report' } }, `Report ${message.author}`),
    ...menuButtons(mine),
  );
  const text = message.message_text;
  const long = text.length > LONG_CHARS || text.split('\n').length > LONG_LINES;
  const item = el(
    'li',
    {
      class: mine ? 'message mine' : 'message',
      dataset: { messageId: message.id, author: message.author, day: dayOf(message.pub_date) },
    },
    el(
      'div',
      { class: 'meta' },
      name(message.author),
      timeElement(message.pub_date),
      el('button', {
        type: 'button', class: 'quiet more', dataset: { action: 'menu' },
        'aria-expanded': 'false', 'aria-controls': menuId,
        'aria-label': `Actions on the message of ${message.author}`,
      }, '…'),
      actions,
    ),
    el('div', { class: long ? 'text long' : 'text', dir: 'auto' }, ...formatted(text)),
    long && el('button', {
      type: 'button', class: 'quiet', dataset: { action: 'expand' }, 'aria-expanded': 'false',
    }, 'Show more'),
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
  return dressMessage(item, message);
}

/** The local calendar day of an RFC 3339 stamp, as "2026-12-07". */
function dayOf(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

const dayWords = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });

function dayLabel(day) {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(y, m - 1, d);
  const today = new Date();
  if (dayOf(today.toISOString()) === day) return 'Today';
  today.setDate(today.getDate() - 1);
  if (dayOf(today.toISOString()) === day) return 'Yesterday';
  return dayWords.format(date);
}

/** Two messages of one author this close together are one group. */
const GROUP_MS = 5 * 60 * 1000;

/**
 * Lays the list out again after a change: a date line before each new day,
 * consecutive messages of one author grouped (the name shown once, still
 * read out), and a sentence saying what to do in an empty chat.
 */
export function arrange(list, emptyWords) {
  for (const extra of list.querySelectorAll(':scope > .day, :scope > .empty')) extra.remove();
  let previous = null;
  for (const item of list.querySelectorAll(':scope > .message')) {
    const { day } = item.dataset;
    if (previous?.dataset.day !== day) {
      item.before(el('li', { class: 'day' }, el('span', {}, dayLabel(day))));
    }
    const time = Date.parse(item.querySelector('time').dateTime);
    const grouped = previous && previous.dataset.day === day && !item.classList.contains('new-mark')
      && previous.dataset.author === item.dataset.author
      && time - Date.parse(previous.querySelector('time').dateTime) < GROUP_MS;
    item.classList.toggle('grouped', Boolean(grouped));
    previous = item;
  }
  if (!previous) list.append(el('li', { class: 'empty' }, emptyWords));
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
    el('input', { id, name: 'comment', autocomplete: 'off', placeholder: 'Your comment', dir: 'auto' }),
    el('button', { type: 'submit' }, 'Post'),
  );
  item.querySelector('.thread').append(form);
  return form;
}

/** A line that marks where the unread messages begin. */
export function markFirstUnread(item) {
  item.classList.add('new-mark');
  item.dataset.firstUnread = '';
  item.setAttribute('aria-description', 'first unread message');
}
