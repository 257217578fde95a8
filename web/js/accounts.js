// Accounts and devices (issue 28): sign in with a name and a password, set
// or change the password, and the list of signed-in devices with "sign out
// this device" and "sign out everywhere else".

import { call } from './api.js';
import { byId, el, setText } from './dom.js';
import { stamp } from './time.js';

/** This browser's label in the sessions list. */
function deviceLabel() {
  const agent = navigator.userAgent;
  const browser = ['Firefox', 'Edg', 'Chrome', 'Safari'].find((name) => agent.includes(`${name}/`)) ?? 'browser';
  const names = { Edg: 'Edge' };
  return `${names[browser] ?? browser} (web)`.slice(0, 64);
}

/** The welcome screen's password form: `onToken(token)` once signed in. */
export function wirePasswordSignIn(onToken) {
  const form = byId('login-form');
  form.onsubmit = async (event) => {
    event.preventDefault();
    const userName = byId('login-name').value.trim();
    const password = byId('login-password').value;
    if (!userName || !password) {
      setText(byId('welcome-error'), 'Type your user name and your password.');
      return;
    }
    byId('login').disabled = true;
    const result = await call('POST', '/login', { user_name: userName, password, device: deviceLabel() });
    byId('login').disabled = false;
    if (result.ok) {
      byId('login-password').value = '';
      onToken(result.data.token);
    } else if (result.data?.code === 'login_failed') {
      setText(byId('welcome-error'), 'That user name and password do not match.');
    } else {
      setText(byId('welcome-error'), result.words);
    }
  };
}

/** The "Password and devices" panel of a signed-in page. */
export class DevicesPanel {
  /** `onSignedOut(words)`: this browser's own token was revoked here. */
  constructor(onSignedOut) {
    this.onSignedOut = onSignedOut;
    this.panel = byId('devices-panel');
    this.toggle = byId('show-devices');
    this.note = byId('devices-note');
    this.toggle.onclick = () => this.open(this.panel.hidden);
    byId('password-form').onsubmit = (event) => {
      event.preventDefault();
      this.setPassword();
    };
    byId('sign-out-others').onclick = () => this.signOutOthers();
    this.open(false);
  }

  async open(open) {
    this.panel.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    setText(this.note, '');
    if (open) await this.refresh();
  }

  /** A device of this user signed out somewhere: the list is stale. */
  changed() {
    if (!this.panel.hidden) this.refresh();
  }

  async refresh() {
    const result = await call('GET', '/sessions');
    if (!result.ok) {
      setText(this.note, result.words);
      return;
    }
    this.sessions = result.data.sessions;
    byId('sessions').replaceChildren(...this.sessions.map((s) => this.item(s)));
    byId('sign-out-others').disabled = this.sessions.length < 2;
  }

  item(session) {
    const created = stamp(session.created);
    const used = stamp(session.last_used);
    const label = session.device || 'first token (registration)';
    return el('li', { dataset: { deviceId: session.device_id, current: String(session.current) } },
      el('span', { class: 'device' }, label),
      session.current ? el('strong', { class: 'this-device' }, ' (this browser)') : null,
      el('span', { class: 'hint' }, ' signed in ',
        el('time', { datetime: created.datetime, title: created.title }, created.text),
        ', last used ',
        el('time', { datetime: used.datetime, title: used.title }, used.text)),
      el('button', {
        type: 'button',
        class: 'secondary sign-out-device',
        onclick: () => this.signOut(session),
      }, 'Sign out this device'));
  }

  async signOut(session) {
    const body = session.current ? {} : { device_id: session.device_id };
    const result = await call('POST', '/logout', body);
    if (!result.ok) {
      setText(this.note, result.words);
      return;
    }
    if (session.current) {
      this.onSignedOut('You signed this browser out.');
      return;
    }
    setText(this.note, `Signed out ${session.device || 'the first token'}.`);
    await this.refresh();
  }

  async signOutOthers() {
    const others = (this.sessions ?? []).filter((s) => !s.current);
    for (const session of others) {
      const result = await call('POST', '/logout', { device_id: session.device_id });
      if (!result.ok && result.data?.code !== 'device_not_found') {
        setText(this.note, result.words);
        return;
      }
    }
    await this.refresh();
    setText(this.note, others.length === 1 ? 'Signed out 1 other device.' : `Signed out ${others.length} other devices.`);
  }

  async setPassword() {
    const oldField = byId('old-password');
    const newField = byId('new-password');
    const password = newField.value;
    if ([...password].length < 8 || [...password].length > 256) {
      setText(this.note, 'A password is 8 to 256 characters.');
      newField.focus();
      return;
    }
    const body = { password };
    if (oldField.value) body.old_password = oldField.value;
    const result = await call('POST', '/password', body);
    if (result.ok) {
      oldField.value = '';
      newField.value = '';
      setText(this.note, 'Password set: sign in with it on your other devices.');
    } else if (result.data?.code === 'wrong_password') {
      setText(this.note, 'Your current password is needed to change it, and that is not it.');
      oldField.focus();
    } else {
      setText(this.note, result.words);
    }
  }
}
