// The user picker: type-ahead over `GET /users` on a text input, as an ARIA
// combobox (arrows move, Enter or a click picks, Escape closes).

import { call } from './api.js';
import { el } from './dom.js';

const SHOWN = 8;
const PAUSE_MS = 120;
let pickers = 0;

export class UserPicker {
  /** `onPick(name)`: a name was picked; `skip(name)`: names not to offer (oneself). */
  constructor(input, onPick, skip = () => false) {
    pickers += 1;
    this.input = input;
    this.onPick = onPick;
    this.skip = skip;
    this.timer = null;
    this.asked = 0;
    this.ids = `${input.id}-${pickers}`;
    this.list = el('ul', { id: `${this.ids}-names`, class: 'picker', role: 'listbox', hidden: true, 'aria-label': 'Users' });
    // Under the whole form, not between the input and its button.
    (input.closest('form') ?? input.parentNode).append(this.list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', this.list.id);
    input.setAttribute('aria-expanded', 'false');
    input.oninput = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.suggest(), PAUSE_MS);
    };
    input.onkeydown = (event) => this.key(event);
    input.onblur = () => setTimeout(() => this.close(), 150);
    // A press on a name must not take the focus from the input first.
    this.list.onmousedown = (event) => event.preventDefault();
    this.list.onclick = (event) => {
      const option = event.target.closest('[data-user]');
      if (option) this.pick(option.dataset.user);
    };
  }

  async suggest() {
    const prefix = this.input.value.trim();
    if (!prefix) {
      this.close();
      return;
    }
    const asked = ++this.asked;
    const result = await call('GET', `/users?q=${encodeURIComponent(prefix)}&limit=${SHOWN + 1}`);
    // An answer to an older prefix that came late changes nothing.
    if (asked !== this.asked || !result.ok) return;
    const names = result.data.users.map((u) => u.user_name).filter((n) => !this.skip(n)).slice(0, SHOWN);
    this.list.replaceChildren(...names.map((name, i) => el(
      'li',
      { id: `${this.ids}-${i}`, role: 'option', 'aria-selected': 'false', dataset: { user: name } },
      el('bdi', {}, name),
    )));
    this.list.hidden = names.length === 0;
    this.input.setAttribute('aria-expanded', String(!this.list.hidden));
    this.active = -1;
  }

  key(event) {
    const options = [...this.list.children];
    if (event.key === 'Escape' && !this.list.hidden) {
      event.preventDefault();
      this.close();
    } else if ((event.key === 'ArrowDown' || event.key === 'ArrowUp') && options.length) {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + options.length) % options.length;
      options.forEach((option, i) => option.setAttribute('aria-selected', String(i === this.active)));
      this.input.setAttribute('aria-activedescendant', options[this.active].id);
    } else if (event.key === 'Enter' && !this.list.hidden && this.active >= 0) {
      event.preventDefault();
      this.pick(options[this.active].dataset.user);
    }
  }

  pick(name) {
    this.input.value = name;
    this.close();
    this.onPick(name);
  }

  close() {
    this.asked += 1;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    this.active = -1;
  }
}
