// What /status says, shown: the chat list with unread counts, the public
// quota, and the ban banner with its countdown.

import { byId, el, setText } from './dom.js';
import { countdown, shortTime, whenInWords } from './time.js';
import { titleFor } from './notify.js';
import { mentionBadge } from './mentions.js';

export const PUBLIC = 'public_chat';

/**
 * Asks /status again (`fetch`) at most once per burst of reasons to: `ask(delay)`
 * runs it `delay` ms from now, or at the earlier time an ask already waits
 * for, and resolves once that run has ended. Every ask is answered: a later
 * ask never drops an earlier one's promise (an await on it would hang: a
 * room just created was never opened when its own `member` event asked in
 * between).
 */
export class StatusRefresh {
  constructor(fetch) {
    this.fetch = fetch;
    this.next = null;
  }

  ask(delay) {
    const due = Date.now() + delay;
    if (!this.next) this.next = { waiting: [], due: Infinity, timer: null };
    const next = this.next;
    if (due < next.due) {
      clearTimeout(next.timer);
      next.due = due;
      next.timer = setTimeout(() => this.run(next), delay);
    }
    return new Promise((resolve) => next.waiting.push(resolve));
  }

  async run(next) {
    if (this.next === next) this.next = null;
    try {
      await this.fetch();
    } finally {
      for (const done of next.waiting) done();
    }
  }

  stop() {
    if (this.next) clearTimeout(this.next.timer);
    this.next = null;
  }
}

/** The chats of the list, in order: public first, then private ones by latest activity. */
export class ChatList {
  constructor(onOpen) {
    this.chats = new Map();
    this.open = null;
    this.list = byId('chats');
    this.list.onclick = (event) => {
      const item = event.target.closest('[data-chat]');
      if (item) onOpen(item.dataset.chat);
    };
  }

  /** Takes /status's chats (their unread counts are the server's). */
  replace(chats) {
    this.chats = new Map(chats.map((chat) => [chat.name, { name: chat.name, unread: chat.unread, mentions: chat.mentions }]));
    if (this.open && !this.chats.has(this.open)) this.chats.set(this.open, { name: this.open, unread: 0 });
    this.render();
  }

  /** Makes sure a chat is listed; a private one with new activity moves up. */
  touch(name) {
    const chat = this.chats.get(name) ?? { name, unread: 0 };
    this.chats.delete(name);
    this.chats = new Map([[name, chat], ...this.chats]);
    return chat;
  }

  /** A new unread count (after /read or /connect); the order stays. */
  setUnread(name, unread) {
    const chat = this.chats.get(name);
    if (!chat || chat.unread === unread) return;
    chat.unread = unread;
    if (!unread) chat.mentions = 0;
    this.render();
  }

  /** A message from someone else in a chat that is not open. */
  addUnread(name) {
    this.touch(name).unread += 1;
    this.render();
  }

  setOpen(name) {
    this.open = name;
    this.render();
  }

  totalUnread() {
    let total = 0;
    for (const chat of this.chats.values()) total += chat.unread;
    return total;
  }

  render() {
    if (this.open && !this.chats.has(this.open)) this.touch(this.open);
    const chats = [...this.chats.values()];
    const ordered = [...chats.filter((c) => c.name === PUBLIC), ...chats.filter((c) => c.name !== PUBLIC)];
    const items = ordered.map((chat) => {
      const label = chat.name === PUBLIC ? 'Public chat' : chat.name;
      const unread = chat.unread > 0
        ? el('span', { class: 'unread', 'aria-label': `${chat.unread} unread` }, String(chat.unread))
        : null;
      return el(
        'li',
        { dataset: { chat: chat.name } },
        el('button', { type: 'button', 'aria-current': chat.name === this.open ? 'true' : null },
          el('bdi', { class: 'name' }, label), mentionBadge(chat.mentions), unread),
      );
    });
    this.list.replaceChildren(...items);
    const total = this.totalUnread();
    document.title = titleFor(total);
  }
}

/**
 * The public quota line, from /status. It keeps itself true: the wait counts
 * down, the window's end asks /status again (`onReset`), and under a ban it
 * says nothing (the banner says more).
 */
export class QuotaLine {
  constructor(onReset) {
    this.line = byId('quota');
    this.onReset = onReset;
    this.timer = null;
  }

  show(status, inPublicChat, banned) {
    clearInterval(this.timer);
    this.timer = null;
    this.status = status;
    this.inPublicChat = inPublicChat;
    this.banned = banned;
    this.render();
    const resets = status?.quota_resets_at ? Date.parse(status.quota_resets_at) : null;
    if (resets && status.public_messages_left === 0) {
      this.timer = setInterval(() => {
        if (Date.now() < resets) {
          this.render();
          return;
        }
        clearInterval(this.timer);
        this.onReset();
      }, 1000);
    }
  }

  stop() {
    clearInterval(this.timer);
  }

  render() {
    const { status, inPublicChat } = this;
    if (this.banned || !status) {
      setText(this.line, '');
      return;
    }
    if (!inPublicChat) {
      setText(this.line, 'Private messages do not count against the public quota.');
      return;
    }
    const left = status.public_messages_left;
    const resets = status.quota_resets_at ? new Date(status.quota_resets_at) : null;
    let text;
    if (left === 0 && resets) {
      text = `No public messages left: the quota resets ${whenInWords((resets - Date.now()) / 1000)}.`;
    } else {
      text = `Public messages left in this window: ${left}`;
      if (resets) text += ` (resets at ${shortTime(resets)})`;
      text += '.';
    }
    if (status.cautions > 0) text += ` Reports against you: ${status.cautions}.`;
    setText(this.line, text);
  }
}

/** The ban banner: until when, and a countdown ticking every second. */
export class BanBanner {
  constructor(onOver, onChange) {
    this.onChange = onChange;
    this.banner = byId('ban-banner');
    this.until = null;
    this.timer = null;
    this.onOver = onOver;
  }

  /** Shows a ban until `until` (a Date), or hides the banner (null). */
  show(until) {
    clearInterval(this.timer);
    this.until = until && until > Date.now() ? until : null;
    const changed = this.banner.hidden === Boolean(this.until);
    this.banner.hidden = !this.until;
    byId('send').disabled = Boolean(this.until);
    if (changed) this.onChange?.();
    if (!this.until) return;
    // Built once: only the countdown changes, and it is not read out every second.
    this.left = el('span', { class: 'countdown', 'aria-hidden': 'true' });
    this.banner.replaceChildren(
      el('strong', {}, 'You are banned'),
      ` from sending messages and comments until ${shortTime(this.until)}, after reports from other users. Time left: `,
      this.left,
      '.',
    );
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  tick() {
    const left = this.until - Date.now();
    if (left <= 0) {
      this.show(null);
      this.onOver();
      return;
    }
    setText(this.left, countdown(left));
  }
}
