// The open chat: its messages (history and unread from /connect, then live
// events), marking them read (/read) as they are shown, what the composer
// (composer.js) sent, the "N new" pill, comment threads (older comments
// paged with /comments) and reports.

import { call } from './api.js';
import { atEnd, byId, el, setText } from './dom.js';
import { Composer } from './composer.js';
import { act } from './edit.js';
import {
  addComment, arrange, commentForm, markFirstUnread, messageElement, oldestCommentId, showOlderButton,
} from './messages.js';
import { PUBLIC } from './status.js';
import { loadOlder, offerOlder } from './history.js';
import { EMPTY_ROOM, isRoom, roomTitle } from './rooms.js';
import { shortTime } from './time.js';

const HISTORY = 50;
/** The history /connect gives when not asked for a number (API.md). */
const SERVER_HISTORY = 20;
const COMMENT_PAGE = 20;

/** The target of a request about `chat`: nothing for the public chat. */
function about(chat, field) {
  return chat === PUBLIC ? {} : { [field]: chat };
}

export class Chat {
  /**
   * `page` is what the chat tells the rest of the page: `me`, `chats` (the
   * ChatList), `refreshStatus()`, `banned(untilDate)`, `isBanned()`.
   */
  constructor(page) {
    this.page = page;
    this.name = null;
    this.below = 0;
    this.noticeTimer = null;
    this.loading = null;
    this.waiting = [];
    this.readUpTo = 0;
    this.shownUpTo = 0;
    this.readTimer = null;
    this.list = byId('messages');
    // Handlers are properties (not listeners) so that a new session replaces
    // the last one's instead of adding to it.
    this.list.onclick = (event) => this.clicked(event);
    this.list.onsubmit = (event) => this.commented(event);
    this.list.onkeydown = (event) => {
      if (event.key === 'Escape' && event.target.closest('.actions')) {
        const menu = event.target.closest('.message').querySelector('[data-action="menu"]');
        menu.click();
        menu.focus();
      }
      if (event.key === 'Escape' && event.target.closest('.comment-form')) {
        const item = event.target.closest('.message');
        event.target.closest('.comment-form').remove();
        item.querySelector('[data-action="menu"]').focus();
      }
    };
    this.composer = new Composer(this, (chat) => about(chat, 'send_to'));
    byId('report-peer').onclick = () => this.report(this.name, 'private', byId('report-peer'));
    const pill = byId('new-pill');
    pill.onclick = () => {
      this.list.lastElementChild?.scrollIntoView({ block: 'end' });
      this.seenBelow();
    };
    this.pinned = true;
    this.list.onscroll = () => {
      this.pinned = atEnd(this.list);
      if (this.pinned) this.seenBelow();
    };
    // A view at the end stays there when the list gets shorter (a status
    // line under the composer growing, a phone's keyboard opening).
    Chat.resizes?.disconnect();
    Chat.resizes = new ResizeObserver(() => {
      if (this.pinned) this.list.scrollTop = this.list.scrollHeight;
    });
    Chat.resizes.observe(this.list);
    document.onvisibilitychange = () => this.markRead();
  }

  /**
   * Says `text` under the messages. `until` (a Date): the sentence stops
   * being true then and goes away; `kind` names it for `clearNotice`.
   */
  notice(text, { until = null, kind = '' } = {}) {
    const line = byId('notice');
    setText(line, text);
    line.dataset.kind = kind;
    clearTimeout(this.noticeTimer);
    if (until) this.noticeTimer = setTimeout(() => this.clearNotice(kind), Math.max(0, until - Date.now()));
  }

  /** Takes the notice away if it is of `kind`. */
  clearNotice(kind) {
    if (byId('notice').dataset.kind === kind) this.notice('');
  }

  /** The view reached the end: nothing new below any more. */
  seenBelow() {
    this.below = 0;
    byId('new-pill').hidden = true;
  }

  /** Opens a chat: its history and unread messages from /connect. */
  async open(name) {
    this.loading = name;
    this.waiting = [];
    let wanted = HISTORY;
    let result = await call('POST', '/connect', { ...about(name, 'chat_with'), messages_number: HISTORY });
    if (result.data?.code === 'invalid_messages_number') {
      // A server that keeps fewer: its own default, then.
      wanted = SERVER_HISTORY;
      result = await call('POST', '/connect', about(name, 'chat_with'));
    }
    if (this.loading !== name) return false;
    this.loading = null;
    if (!result.ok) {
      if (result.data?.code === 'user_not_found') this.notice(`There is no user named ${name}.`);
      else if (result.data?.code === 'not_a_member') this.notice(`Join ${name} (under Rooms) to read it.`);
      else this.refused(result);
      return false;
    }
    // The server's spelling of the name: "KIM" typed opens kim's one chat.
    name = result.data.chat ?? name;
    this.name = name;
    this.notice('');
    const title = byId('chat-title');
    if (name === PUBLIC) setText(title, 'Public chat');
    else if (isRoom(name)) roomTitle(title, name);
    else title.replaceChildren('Private chat with ', el('bdi', {}, name));
    const peer = byId('report-peer');
    peer.hidden = name === PUBLIC || isRoom(name);
    peer.textContent = `Report ${name}`;
    this.composer.opened(name);
    this.list.replaceChildren();
    this.seenBelow();
    this.shownUpTo = 0;
    for (const message of result.data.messages) this.show(message, false);
    // A full page of history may have more before it.
    if (result.data.messages.length >= wanted) offerOlder(this.list, true);
    let firstUnread = null;
    result.data.unread_messages.forEach((message, index) => {
      const item = this.show(message, false);
      if (index === 0 && item) {
        markFirstUnread(item);
        firstUnread = item;
      }
    });
    if (result.data.unread_truncated) {
      this.notice('Not every unread message fits on one page: open the chat again to see the rest.');
    }
    // /connect moved the read position to the last message it returned.
    this.readUpTo = this.shownUpTo;
    this.page.chats.setOpen(name);
    this.page.chats.setUnread(name, 0);
    for (const message of this.waiting) this.show(message, false);
    this.waiting = [];
    this.arrange();
    this.markRead();
    // Open where the unread begin (the "new" line at the top), else at the end.
    this.pinned = !firstUnread;
    if (firstUnread) this.list.scrollTop = firstUnread.offsetTop - this.list.offsetTop - 32;
    else this.list.lastElementChild?.scrollIntoView({ block: 'end' });
    return true;
  }

  arrange() {
    let empty = `No messages with ${this.name} yet. Write below: only the two of you see this chat.`;
    if (this.name === PUBLIC) empty = 'No messages yet. Write the first one below: Enter sends it to everyone.';
    else if (isRoom(this.name)) empty = EMPTY_ROOM;
    arrange(this.list, empty);
  }

  /** A live message for `chat`: shown if it is open, else counted as unread. */
  received(chat, message) {
    if (chat.toLowerCase() === this.loading?.toLowerCase()) {
      this.waiting.push(message);
    } else if (chat === this.name) {
      const item = this.show(message);
      if (item && message.author !== this.page.me) {
        // Only what is new is read out, not the whole list.
        const text = message.message_text;
        setText(byId('announce'), `${message.author}: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`);
        if (document.visibilityState !== 'visible') this.page.chats.addUnread(chat);
      }
      this.markRead();
    } else if (message.author !== this.page.me) {
      this.page.chats.addUnread(chat);
    } else {
      this.page.chats.touch(chat);
      this.page.chats.render();
    }
  }

  /** A live comment: into its thread if the message is shown. */
  commentReceived(messageId, comment) {
    const item = this.item(messageId);
    if (item) addComment(item, comment, true);
  }

  item(messageId) {
    return this.list.querySelector(`[data-message-id="${Number(messageId)}"]`);
  }

  /**
   * Puts a message in its place once (by id), keeping the view at the end if
   * it was there; else counts it on the "N new" pill. `live`: lay the list
   * out again now (not while a whole chat is loading).
   */
  show(message, live = true) {
    if (this.item(message.id)) return null;
    const follow = !live || atEnd(this.list) || message.author === this.page.me;
    const item = messageElement(message, {
      mine: message.author === this.page.me,
      reportable: (this.name === PUBLIC || isRoom(this.name)) && message.author !== this.page.me,
    });
    const after = [...this.list.children].find((child) => Number(child.dataset.messageId) > message.id);
    this.list.insertBefore(item, after ?? null);
    this.shownUpTo = Math.max(this.shownUpTo, message.id);
    if (!live) return item;
    this.arrange();
    if (follow) {
      item.scrollIntoView({ block: 'end' });
    } else {
      this.below += 1;
      const pill = byId('new-pill');
      pill.textContent = `${this.below} new ↓`;
      pill.hidden = false;
    }
    return item;
  }

  /** Moves the read position to what is shown, while the page is visible. */
  markRead() {
    if (document.visibilityState !== 'visible' || this.shownUpTo <= this.readUpTo) return;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(async () => {
      // Hidden since this was asked: what arrived meanwhile is not seen yet
      // (the title counts it); showing the tab again asks once more.
      if (document.visibilityState !== 'visible') return;
      const chat = this.name;
      const upTo = this.shownUpTo;
      if (upTo <= this.readUpTo) return;
      const result = await call('POST', '/read', { ...about(chat, 'chat_with'), up_to: upTo });
      if (result.ok) {
        this.readUpTo = Math.max(this.readUpTo, upTo);
        this.page.chats.setUnread(chat, result.data.unread);
      }
    }, 150);
  }

  /** A message of ours the server took (a 201). */
  sent(chat, text, answer) {
    this.notice('');
    if (chat !== this.name) return;
    this.show({
      id: answer.message_id, author: this.page.me, pub_date: answer.pub_date,
      message_text: text, comments: [], comments_total: 0,
    });
    this.markRead();
  }

  /** Says a refusal in words; a ban also shows the banner. */
  refused(result) {
    const until = result.retryAfter ? new Date(Date.now() + result.retryAfter * 1000) : null;
    this.notice(result.words, { until, kind: result.status === 0 ? 'unreachable' : 'refusal' });
    if (result.data?.code === 'banned' && result.retryAfter) {
      this.page.banned(new Date(Date.now() + result.retryAfter * 1000));
    }
  }

  async clicked(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const item = button.closest('.message');
    const action = button.dataset.action;
    if (action === 'menu') {
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      const menu = item.querySelector('.actions');
      menu.hidden = !open;
      if (open) menu.querySelector('button').focus();
    } else if (action === 'expand') {
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      button.textContent = open ? 'Show less' : 'Show more';
      item.querySelector('.text').classList.toggle('open', open);
    } else if (action === 'comment') {
      commentForm(item).querySelector('input').focus();
    } else if (action === 'report') {
      await this.report(item.dataset.author, isRoom(this.name) ? 'room' : 'public', button);
    } else if (action === 'older') {
      await this.older(item, button);
    } else if (action === 'load-older') {
      await loadOlder(this, button);
    } else {
      await act(this, action, item, button);
    }
  }

  /** Pages older comments of a message in with /comments. */
  async older(item, button) {
    button.disabled = true;
    const before = oldestCommentId(item);
    const query = `message_id=${Number(item.dataset.messageId)}&limit=${COMMENT_PAGE}${before ? `&before=${before}` : ''}`;
    const result = await call('GET', `/comments?${query}`);
    button.disabled = false;
    if (!result.ok) {
      this.refused(result);
      return;
    }
    for (const comment of result.data.comments) addComment(item, comment, false);
    if (!result.data.more) item.commentsTotal = item.querySelector('.comments').children.length;
    showOlderButton(item);
  }

  async commented(event) {
    const form = event.target.closest('.comment-form');
    if (!form) return;
    event.preventDefault();
    const item = form.closest('.message');
    const input = form.querySelector('input');
    const text = input.value;
    if (!text.trim()) return;
    const messageId = Number(item.dataset.messageId);
    const result = await call('POST', '/comment', { message_id: messageId, comment: text });
    if (!result.ok) {
      this.refused(result);
      return;
    }
    this.notice('');
    addComment(item, {
      id: result.data.comment_id, author: this.page.me, created: new Date().toISOString(), comment_text: text,
    }, true);
    form.remove();
    item.querySelector('[data-action="menu"]').focus();
  }

  /** Reports a user, after a second press on the same button. */
  async report(user, chatType, button) {
    if (button.dataset.confirm !== 'yes') {
      button.dataset.confirm = 'yes';
      const label = button.textContent;
      const restore = () => {
        button.dataset.confirm = '';
        button.textContent = label;
        button.removeAttribute('aria-label');
      };
      button.textContent = `Confirm: report ${user}`;
      button.setAttribute('aria-label', button.textContent);
      button.restore = restore;
      setTimeout(() => {
        if (button.dataset.confirm === 'yes') restore();
      }, 6000);
      return;
    }
    button.restore();
    const body = { report_on: user, chat_type: chatType };
    if (chatType === 'room') body.room = this.name;
    const result = await call('POST', '/report', body);
    if (!result.ok) {
      this.notice(result.words);
    } else if (result.data.banned_until) {
      this.notice(`${user} is banned until ${shortTime(new Date(result.data.banned_until))}.`);
    } else {
      const n = result.data.cautions;
      this.notice(`You reported ${user}. ${user} now has ${n} ${n === 1 ? 'caution' : 'cautions'}.`);
    }
  }
}
