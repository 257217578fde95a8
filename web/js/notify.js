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

const SVG = 'http://www.w3.org/2000/svg';

/** A bell drawn in the button's colour: outlined when off, filled when on (edits.css). */
function bellIcon() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'bell');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M8 1.5a1 1 0 0 1 1 1v.4A4.5 4.5 0 0 1 12.5 7.3V10l1.5 2.2H2L3.5 10V7.3A4.5 4.5 0 0 1 7 2.9v-.4a1 1 0 0 1 1-1zM6.3 13.4h3.4a1.7 1.7 0 0 1-3.4 0z');
  svg.append(path);
  return svg;
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
    // One name, its state in aria-pressed; the bell is decoration (on a
    // phone the words are only read out, edits.css).
    this.bell.replaceChildren(bellIcon(), el('span', { class: 'words' }, 'Notify me'));
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
