// Who the page is: the welcome forms (a new user, or an existing token), the
// token kept in localStorage, the token panel (show and copy) and sign-out.

import { call } from './api.js';
import { byId, setText } from './dom.js';

const KEY = 'agora.token';
const TOKEN_SHAPE = /^[0-9a-f]{32}$/;

export function savedToken() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token) {
  try {
    localStorage.setItem(KEY, token);
  } catch {
    // Private browsing without storage: the page still works until it is closed.
  }
}

export function forgetToken() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing was kept.
  }
}

/** The welcome screen: `onToken(token)` when a user was created or a token given. */
export function showWelcome(message, onToken) {
  byId('app').hidden = true;
  byId('account').hidden = true;
  byId('token-panel').hidden = true;
  byId('welcome').hidden = false;
  setText(byId('welcome-error'), message ?? '');
  const name = byId('name');
  name.focus();
  byId('register-form').onsubmit = async (event) => {
    event.preventDefault();
    const userName = name.value.trim();
    // The form has `novalidate`: a person reads this sentence, not the
    // browser's "Please match the requested format".
    name.setAttribute('aria-invalid', String(!name.checkValidity()));
    if (!name.checkValidity()) {
      setText(byId('welcome-error'), userName
        ? `"${userName}" cannot be a user name: use 1 to 32 letters (A-Z, a-z), digits, _, - or ., without spaces.`
        : 'Type a user name first: 1 to 32 letters, digits, _, - or .');
      name.focus();
      return;
    }
    byId('register').disabled = true;
    const result = await call('POST', '/get-token', { user_name: userName });
    byId('register').disabled = false;
    if (result.ok) {
      onToken(result.data.token);
    } else if (result.data?.code === 'token_already_issued') {
      setText(byId('welcome-error'), `The name ${userName} is taken. Pick another one, or sign in with its token.`);
    } else {
      setText(byId('welcome-error'), result.words);
    }
  };
  byId('signin-form').onsubmit = (event) => {
    event.preventDefault();
    const token = byId('token-input').value.trim().toLowerCase();
    if (!TOKEN_SHAPE.test(token)) {
      setText(byId('welcome-error'), 'A token is 32 characters, each 0-9 or a-f.');
      return;
    }
    onToken(token);
  };
}

/** The signed-in header: name, token panel, sign-out (`onSignOut`). */
export function showAccount(userName, token, onSignOut) {
  byId('welcome').hidden = true;
  byId('account').hidden = false;
  // The welcome forms keep no token or name once they served.
  byId('token-input').value = '';
  byId('name').value = '';
  setText(byId('welcome-error'), '');
  setText(byId('me'), userName);
  const panel = byId('token-panel');
  const toggle = byId('show-token');
  const note = byId('token-note');
  const signOut = byId('sign-out');
  const openPanel = (open) => {
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    byId('token-value').value = open ? token : '';
    if (!open) setText(note, '');
  };
  openPanel(false);
  signOut.textContent = 'Sign out';
  toggle.onclick = () => openPanel(panel.hidden);
  byId('copy-token').onclick = async () => {
    const field = byId('token-value');
    field.select();
    try {
      await navigator.clipboard.writeText(token);
      setText(note, 'Copied to the clipboard.');
    } catch {
      setText(note, 'The token is selected: copy it with Ctrl+C (or Cmd+C).');
    }
  };
  // Signing out forgets the token here: say so once, with the token shown.
  let warned = false;
  signOut.onclick = () => {
    if (!warned) {
      warned = true;
      openPanel(true);
      setText(note, 'Signing out forgets the token in this browser. Copy it first if you want to come back as '
        + `${userName}; then press "Sign out now".`);
      signOut.textContent = 'Sign out now';
      return;
    }
    forgetToken();
    openPanel(false);
    onSignOut();
  };
}
