// The page's start: sign in with the kept token (or show the welcome
// screen), then wire the chat list, the open chat and the live event feed.

import { call, useToken, whenUnauthorized } from './api.js';
import { forgetToken, saveToken, savedToken, showAccount, showWelcome } from './account.js';
import { Chat } from './chat.js';
import { byId, setText } from './dom.js';
import { EventFeed } from './events.js';
import { BanBanner, ChatList, PUBLIC, showQuota } from './status.js';

const live = byId('live');

function showLive(state, seconds) {
  live.dataset.state = state;
  const words = {
    connecting: 'connecting…',
    live: 'live',
    reconnecting: `reconnecting in ${seconds} s…`,
    offline: '',
  };
  setText(live, words[state]);
}

/** Everything that lives while a user is signed in. */
class Session {
  constructor(token, status) {
    this.me = status.connected_as;
    this.status = status;
    this.statusTimer = null;
    this.chats = new ChatList((name) => this.openChat(name));
    this.ban = new BanBanner(() => this.refreshStatus());
    this.chat = new Chat(this);
    this.feed = new EventFeed({
      onEvent: (event) => this.event(event),
      onState: showLive,
      onReset: () => this.reload(),
    });
    byId('new-chat-form').onsubmit = async (event) => {
      event.preventDefault();
      const input = byId('new-chat');
      const name = input.value.trim();
      if (!name) return;
      if (name.toLowerCase() === this.me.toLowerCase()) {
        this.chat.notice('That is you: pick another user.');
        return;
      }
      if (await this.openChat(name)) input.value = '';
    };
    showAccount(this.me, token, () => signOut());
  }

  async start() {
    byId('app').hidden = false;
    showLive('connecting');
    // The cursor first, then what the page shows: nothing committed in
    // between is missed, and what arrives twice is dropped by id.
    await this.feed.begin();
    this.showStatus(this.status);
    await this.openChat(PUBLIC);
    this.feed.run();
    byId('compose').focus();
  }

  stop() {
    this.feed.stop();
    this.ban.show(null);
    clearTimeout(this.statusTimer);
  }

  async openChat(name) {
    const opened = await this.chat.open(name);
    if (opened) showQuota(this.status, name === PUBLIC);
    return opened;
  }

  /** After the server lost the feed's cursor (a new database): load everything again. */
  async reload() {
    await this.refreshStatus(0);
    await this.chat.open(this.chat.name ?? PUBLIC);
  }

  event(event) {
    if (event.type === 'message') {
      this.chat.received(event.chat, event.message);
      if (event.message.author === this.me) this.refreshStatus();
    } else if (event.type === 'comment') {
      this.chat.commentReceived(event.message_id, event.comment);
    } else if (event.type === 'banned') {
      this.banned(new Date(event.banned_until));
    }
  }

  banned(until) {
    this.ban.show(until);
  }

  /** Asks /status again soon (several asks in a row make one call). */
  refreshStatus(delay = 300) {
    clearTimeout(this.statusTimer);
    return new Promise((resolve) => {
      this.statusTimer = setTimeout(async () => {
        const result = await call('GET', '/status');
        if (result.ok) this.showStatus(result.data);
        resolve();
      }, delay);
    });
  }

  showStatus(status) {
    this.status = status;
    this.chats.replace(status.chats);
    if (this.chat.name) this.chats.setUnread(this.chat.name, 0);
    showQuota(status, (this.chat.name ?? PUBLIC) === PUBLIC);
    this.ban.show(status.banned_until ? new Date(status.banned_until) : null);
  }
}

let session = null;

function signOut(message) {
  session?.stop();
  session = null;
  useToken(null);
  showLive('offline');
  showWelcome(message, signIn);
}

async function signIn(token) {
  useToken(token);
  const status = await call('GET', '/status');
  if (!status.ok) {
    if (status.status === 401) {
      forgetToken();
      signOut('The server does not know this token. Check it, or pick a new user name.');
    } else {
      useToken(null);
      showWelcome(status.words, signIn);
      if (savedToken() === token) setTimeout(() => signIn(token), 3000);
    }
    return;
  }
  saveToken(token);
  session = new Session(token, status.data);
  await session.start();
}

whenUnauthorized(() => {
  forgetToken();
  signOut('The server no longer knows your token (its database may have been replaced). Pick a user name to start again.');
});

const token = savedToken();
if (token) signIn(token);
else signOut();
