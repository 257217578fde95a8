// Desktop notifications (the browser's Notification API) for mentions and
// private messages that arrive while the tab is hidden, and the tab's title
// counting them. Permission is asked for only when the person presses the
// bell, never on load; their choice is kept in this browser.

import { byId, el } from './dom.js';
import { isMe } from './mentions.js';

const KEY = 'agora.notify';
/** Mentions and private messages since the tab was last seen. */
let forYou = 0;
let unread = 0;

/** The tab's title: the chats' unread total and, while away, what is for the person. */
export function titleFor(total) {
  unread = total;
  const count = forYou ? `${total}, ${forYou} for you` : String(total);
  return total || forYou ? `(${count}) agora` : 'agora';
}

function retitle() {
  document.title = titleFor(unread);
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && forYou) {
    forYou = 0;
    retitle();
  }
});

function wanted() {
  try {
    return localStorage.getItem(KEY) === 'on';
  } catch {
    return false;
  }
}

function want(on) {
  try {
    localStorage.setItem(KEY, on ? 'on' : 'off');
  } catch {
    // Not kept: this page still remembers.
  }
}

export class Notifier {
  /** `notice(text)` says something under the messages. */
  constructor(notice) {
    this.notice = notice;
    this.on = wanted();
    forYou = 0;
    this.bell = byId('notify');
    this.bell.hidden = !('Notification' in window);
    this.bell.onclick = () => this.toggle();
    this.render();
  }

  granted() {
    return 'Notification' in window && window.Notification.permission === 'granted';
  }

  render() {
    const on = this.on && this.granted();
    // One name, its state in aria-pressed; the dot (edits.css) is decoration.
    this.bell.replaceChildren(el('span', { class: 'bell', 'aria-hidden': 'true' }), 'Notify me');
    this.bell.setAttribute('aria-pressed', String(on));
    this.bell.title = on ? 'Desktop notifications of mentions and private messages are on'
      : 'Desktop notifications of mentions and private messages';
  }

  async toggle() {
    if (this.on && this.granted()) {
      this.on = false;
    } else {
      const answer = window.Notification.permission === 'default'
        ? await window.Notification.requestPermission() : window.Notification.permission;
      this.on = answer === 'granted';
      if (!this.on) this.notice('This browser blocks notifications from this page: allow them in its site settings.');
    }
    want(this.on);
    this.render();
  }

  /** A live message: counted and shown when it is for the person and the tab is hidden. */
  message(event) {
    const { message } = event;
    if (isMe(message.author) || document.visibilityState === 'visible') return;
    const mentioned = (message.mentions ?? []).some(isMe);
    if (!mentioned && event.chat_type !== 'private') return;
    forYou += 1;
    retitle();
    if (!this.on || !this.granted()) return;
    const title = mentioned ? `${message.author} mentioned you` : `${message.author} wrote to you`;
    const text = message.message_text;
    const shown = new window.Notification(title, {
      body: text.length > 200 ? `${text.slice(0, 200)}…` : text, tag: `agora-${message.id}`,
    });
    shown.onclick = () => window.focus();
  }
}
