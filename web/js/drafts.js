// One unsent draft per chat and per user, kept in local storage: switching
// chats or reloading the page never loses one, and a draft is only ever
// sent to the chat it was written in.

const PREFIX = 'agora.draft.';

/** The drafts of user `me`; chat names are matched in any case, as the server does. */
export class Drafts {
  constructor(me) {
    this.prefix = `${PREFIX}${me.toLowerCase()}.`;
    this.memory = new Map();
  }

  key(chat) {
    return this.prefix + chat.toLowerCase();
  }

  get(chat) {
    try {
      return localStorage.getItem(this.key(chat)) ?? '';
    } catch {
      return this.memory.get(this.key(chat)) ?? '';
    }
  }

  /** Keeps `text` as the draft of `chat` (an empty one is forgotten). */
  set(chat, text) {
    try {
      if (text) localStorage.setItem(this.key(chat), text);
      else localStorage.removeItem(this.key(chat));
    } catch {
      // No storage (private browsing): the draft lives until the page closes.
      this.memory.set(this.key(chat), text);
    }
  }

  /** Forgets every draft of this user (on signing out: a shared browser keeps none). */
  forgetAll() {
    this.memory.clear();
    try {
      const keys = [];
      for (let i = 0; i < localStorage.length; i += 1) keys.push(localStorage.key(i));
      for (const key of keys) if (key.startsWith(this.prefix)) localStorage.removeItem(key);
    } catch {
      // Nothing was kept.
    }
  }
}
