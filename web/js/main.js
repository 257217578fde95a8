// The page's start: sign in with the kept token (or show the welcome
// screen), then wire the chat list, the open chat and the live event feed.

import { call, useToken, whenUnauthorized } from './api.js';
import { forgetToken, saveToken, savedToken, showAccount, showWelcome } from './account.js';
import { DevicesPanel, wirePasswordSignIn } from './accounts.js';
import { Chat } from './chat.js';
import { byId, el, setText } from './dom.js';
import { applyChange } from './edit.js';
import { EventFeed } from './events.js';
import { completeMentions, isMe, knowMe } from './mentions.js';
import { Notifier } from './notify.js';
import { SearchBox } from './search.js';
import { BanBanner, ChatList, PUBLIC, QuotaLine, StatusRefresh } from './status.js';
import { UserPicker } from './people.js';
import { RoomsPanel } from './rooms.js';

const live = byId('live');
let liveTimer = null;

/** The connection line; "reconnecting in N s…" counts down to the next try. */
function showLive(state, ms = 0) {
  clearInterval(liveTimer);
  live.dataset.state = state;
  const words = { connecting: 'connecting…', live: 'live', offline: '' };
  if (state !== 'reconnecting') {
    setText(live, words[state]);
    return;
  }
  // Only "reconnecting" is read out; the seconds tick in a part that is not.
  const wait = el('span', { 'aria-hidden': 'true' });
  live.replaceChildren('reconnecting', wait);
  const at = Date.now() + ms;
  const tick = () => {
    const left = Math.ceil((at - Date.now()) / 1000);
    setText(wait, left > 0 ? ` in ${left} s…` : '…');
    if (left <= 0) clearInterval(liveTimer);
  };
  tick();
  liveTimer = setInterval(tick, 250);
}

/** Everything that lives while a user is signed in. */
class Session {
  constructor(token, status) {
    this.me = status.connected_as;
    knowMe(this.me);
    this.status = status;
    this.statusRefresh = new StatusRefresh(async () => {
      const result = await call('GET', '/status');
      if (result.ok) this.showStatus(result.data);
    });
    this.chats = new ChatList((name) => this.pick(name));
    this.quota = new QuotaLine(() => this.refreshStatus(0));
    this.ban = new BanBanner(() => this.refreshStatus(), () => this.showQuota());
    this.chat = new Chat(this);
    this.notifier = new Notifier((text) => this.chat.notice(text));
    completeMentions(() => this.chat.name);
    this.search = new SearchBox((name, messageId) => this.openAt(name, messageId));
    this.rooms = new RoomsPanel(this);
    this.feed = new EventFeed({
      onEvent: (event) => this.event(event),
      onState: (state, ms) => {
        showLive(state, ms);
        // Live again: "cannot reach the server" is no longer true.
        if (state === 'live') this.chat.clearNotice('unreachable');
      },
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
      if (await this.pick(name)) input.value = '';
    };
    // Picking a name from the type-ahead opens the chat with them at once.
    this.people = new UserPicker(byId('new-chat'), () => byId('new-chat-form').requestSubmit(),
      (name) => name.toLowerCase() === this.me.toLowerCase());
    showAccount(this.me, token, () => signOut(undefined, true));
    this.devices = new DevicesPanel((words) => {
      forgetToken();
      signOut(words, true);
    });
  }

  async start() {
    byId('app').hidden = false;
    showLive('connecting');
    // The cursor first, then what the page shows: nothing committed in
    // between is missed, and what arrives twice is dropped by id.
    await this.feed.begin();
    this.showStatus(this.status);
    this.rooms.refresh(0);
    await this.openChat(PUBLIC);
    this.feed.run();
    byId('compose').focus();
  }

  stop() {
    this.devices.open(false);
    this.search.clear();
    this.feed.stop();
    this.ban.show(null);
    this.quota.stop();
    this.statusRefresh.stop();
  }

  /** Opens a chat the person picked, and puts them in its composer. */
  async pick(name) {
    const opened = await this.openChat(name);
    if (opened) byId('compose').focus();
    return opened;
  }

  /** Opens a chat at one of its messages (a search result), marked until the next pick. */
  async openAt(name, messageId) {
    if (!(await this.openChat(name))) return;
    const item = this.chat.item(messageId);
    if (!item) {
      this.chat.notice('That message is older than the history shown here.');
      return;
    }
    item.classList.add('found');
    item.tabIndex = -1;
    item.scrollIntoView({ block: 'center' });
    item.focus({ preventScroll: true });
  }

  async openChat(name) {
    const opened = await this.chat.open(name);
    if (opened) this.showQuota();
    if (opened) this.rooms.opened(this.chat.name);
    return opened;
  }

  isBanned() {
    return Boolean(this.ban.until);
  }

  showQuota() {
    const name = this.chat?.name ?? PUBLIC;
    this.quota.show(this.status, name === PUBLIC || this.rooms?.isPublic(name), this.isBanned());
  }

  /** After the server lost the feed's cursor (a new database): load everything again. */
  async reload() {
    await this.refreshStatus(0);
    await this.chat.open(this.chat.name ?? PUBLIC);
  }

  event(event) {
    if (event.type === 'message') {
      this.chat.received(event.chat, event.message);
      this.notifier.message(event);
      // One's own message, shown from /send's answer: the server's object has its mentions.
      applyChange(this.chat, event);
      // A mention: the chat list marks it as /status counts it.
      if (event.message.mentions?.some(isMe)) this.refreshStatus();
      if (event.message.author === this.me) this.refreshStatus();
    } else if (event.type === 'comment') {
      this.chat.commentReceived(event.message_id, event.comment);
    } else if (event.type === 'banned') {
      this.banned(new Date(event.banned_until));
    } else if (event.type === 'member') {
      this.rooms.member(event);
    } else if (event.type === 'signed_out') {
      // A device of this user was signed out: if it was this one, the
      // server now answers 401 (and the page signs out); else the list of
      // devices changed.
      call('GET', '/status');
      this.devices.changed();
    } else {
      applyChange(this.chat, event);
    }
  }

  banned(until) {
    this.ban.show(until);
  }

  /**
   * Asks /status again soon (several asks in a row make one call);
   * resolves once it is shown.
   */
  refreshStatus(delay = 300) {
    return this.statusRefresh.ask(delay);
  }

  showStatus(status) {
    this.status = status;
    this.chats.replace(status.chats);
    // The open chat is read while it is seen; while the tab is hidden the
    // server's count stands (the title counts what arrived).
    if (this.chat.name && document.visibilityState === 'visible') this.chats.setUnread(this.chat.name, 0);
    this.ban.show(status.banned_until ? new Date(status.banned_until) : null);
    this.showQuota();
  }
}

let session = null;

function signOut(message, byChoice = false) {
  if (byChoice) session?.chat.composer.drafts.forgetAll();
  session?.stop();
  session = null;
  useToken(null);
  showLive('offline');
  // Nothing unread is counted for nobody.
  document.title = 'agora';
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
  signOut('You are signed out: this browser\'s token was signed out from another device, or the server no longer knows it. Sign in with your password, or pick a user name to start again.');
});

wirePasswordSignIn(signIn);

const token = savedToken();
if (token) signIn(token);
else signOut();
