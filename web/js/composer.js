// The message box under the open chat: one draft per chat (drafts.js), a
// length counter (length.js), and sending: one send at a time (a second
// Enter while the first is on its way sends nothing), none while banned,
// none over the limit. A refused text stays, in its own chat's draft.

import { call } from './api.js';
import { byId } from './dom.js';
import { Drafts } from './drafts.js';
import { countInto, over, tooLongWords } from './length.js';

export class Composer {
  /**
   * `chat` is the open chat: its `name`, `page` (`me`, `isBanned()`,
   * `refreshStatus()`), `notice(text)`, `refused(result)` and
   * `sent(chat, text, result)`; `target(chat)` is the /send field naming it.
   */
  constructor(chat, target) {
    this.chat = chat;
    this.target = target;
    this.drafts = new Drafts(chat.page.me);
    this.sending = false;
    this.field = byId('compose');
    this.count = countInto(this.field, byId('count'));
    // Handlers are properties (not listeners) so that a new session replaces
    // the last one's instead of adding to it.
    byId('composer').onsubmit = (event) => {
      event.preventDefault();
      this.send();
    };
    this.field.onkeydown = (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    };
    this.field.oninput = () => {
      this.count();
      if (this.chat.name) this.drafts.set(this.chat.name, this.field.value);
    };
    this.field.onpaste = () => setTimeout(() => {
      if (over(this.field.value)) this.chat.notice(tooLongWords(this.field.value));
    });
  }

  /** Shows the draft of `name`, the chat just opened. */
  opened(name) {
    this.field.value = this.drafts.get(name);
    this.count();
  }

  async send() {
    const { field, chat } = this;
    const text = field.value;
    if (this.sending || !text.trim() || !chat.name || chat.page.isBanned()) return;
    if (over(text)) {
      chat.notice(tooLongWords(text));
      return;
    }
    const to = chat.name;
    const button = byId('send');
    this.sending = true;
    button.disabled = true;
    const result = await call('POST', '/send', { message: text, ...this.target(to) });
    this.sending = false;
    button.disabled = chat.page.isBanned();
    if (result.ok) {
      if (this.drafts.get(to) === text) this.drafts.set(to, '');
      if (to === chat.name && field.value === text) {
        field.value = '';
        this.count();
      }
      chat.sent(to, text, result.data);
    } else {
      chat.refused(result);
    }
    chat.page.refreshStatus();
    field.focus();
  }
}
