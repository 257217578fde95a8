// Rooms (API.md v3): the sidebar's list of the rooms one can see, with
// topics and member counts; join with one click, create; leave the open
// room, or invite someone to it with the user picker.

import { call } from './api.js';
import { byId, el } from './dom.js';
import { UserPicker } from './people.js';
import { PUBLIC } from './status.js';

/** Whether a chat name is a room's (`#design`). */
export const isRoom = (name) => typeof name === 'string' && name.startsWith('#');

/** A room refusal in words (else the server's sentence). */
function words(result, room) {
  switch (result.data?.code) {
    case 'room_exists': return `There is already a room named ${room}: join it, or pick another name.`;
    case 'invalid_room_name': return 'A room name is # then 1 to 32 letters, digits, _, - or .';
    default: return result.words;
  }
}

export class RoomsPanel {
  /** `page`: the session (`me`, `chat`, `pick`, `refreshStatus`, `showQuota`). */
  constructor(page) {
    this.page = page;
    this.list = byId('room-list');
    this.timer = null;
    this.list.onclick = (event) => this.clicked(event);
    byId('new-room-form').onsubmit = (event) => {
      event.preventDefault();
      this.create();
    };
    const invite = byId('invite-room');
    const form = byId('invite-form');
    invite.onclick = () => {
      form.hidden = !form.hidden;
      invite.setAttribute('aria-expanded', String(!form.hidden));
      if (!form.hidden) byId('invite-user').focus();
    };
    form.onsubmit = (event) => {
      event.preventDefault();
      this.invite(byId('invite-user').value.trim());
    };
    this.picker = new UserPicker(byId('invite-user'), (name) => this.invite(name), (name) => this.isMe(name));
    byId('leave-room').onclick = () => this.leave(this.page.chat.name);
  }

  isMe(name) {
    return name.toLowerCase() === this.page.me.toLowerCase();
  }

  /** Asks `GET /rooms` again (soon: several asks in a row make one call). */
  refresh(delay = 200) {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      const result = await call('GET', '/rooms');
      if (result.ok) this.render(result.data.rooms);
    }, delay);
  }

  /** Whether `name` is a public room (its messages count against the public quota). */
  isPublic(name) {
    return this.visibility?.get(name.toLowerCase()) === 'public';
  }

  render(rooms) {
    this.shown = rooms;
    this.visibility = new Map(rooms.map((room) => [room.room.toLowerCase(), room.visibility]));
    this.page.showQuota();
    const items = rooms.map((room) => {
      const member = room.membership === 'member';
      const n = room.members_number;
      const about = [`${n} ${n === 1 ? 'member' : 'members'}`];
      if (room.visibility === 'private') about.push('private');
      if (room.membership === 'invited') about.push('invited');
      return el(
        'li',
        { dataset: { room: room.room } },
        el('div', { class: 'room-head' },
          el('bdi', { class: 'name' }, room.room),
          el('button', {
            type: 'button',
            class: member ? 'quiet' : 'secondary',
            dataset: { action: member ? 'open' : 'join' },
            'aria-label': `${member ? 'Open' : 'Join'} ${room.room}`,
          }, member ? 'Open' : 'Join')),
        room.topic ? el('p', { class: 'topic', dir: 'auto' }, room.topic) : null,
        el('p', { class: 'hint' }, about.join(' · ')),
      );
    });
    if (!items.length) items.push(el('li', { class: 'hint' }, 'No rooms yet: create the first one.'));
    this.list.replaceChildren(...items);
  }

  async clicked(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const room = button.closest('[data-room]').dataset.room;
    if (button.dataset.action === 'open') {
      await this.page.pick(room);
      return;
    }
    button.disabled = true;
    const result = await call('POST', '/join', { room });
    button.disabled = false;
    if (!result.ok) {
      this.page.chat.notice(words(result, room));
      return;
    }
    await this.entered(result.data.room);
  }

  /** After joining or creating: the room is among the chats, and open. */
  async entered(room) {
    this.refresh(0);
    await this.page.refreshStatus(0);
    await this.page.pick(room);
  }

  async create() {
    const input = byId('room-name');
    const typed = input.value.trim();
    if (!typed) return;
    const room = isRoom(typed) ? typed : `#${typed}`;
    const body = { room, visibility: byId('room-private').checked ? 'private' : 'public' };
    const topic = byId('room-topic').value.trim();
    if (topic) body.topic = topic;
    const result = await call('POST', '/rooms', body);
    if (!result.ok) {
      this.page.chat.notice(words(result, room));
      return;
    }
    input.value = '';
    byId('room-topic').value = '';
    byId('room-private').checked = false;
    byId('new-room').open = false;
    await this.entered(result.data.room);
  }

  async leave(room) {
    const result = await call('POST', '/leave', { room });
    if (!result.ok) {
      this.page.chat.notice(words(result, room));
      return;
    }
    this.refresh(0);
    await this.page.pick(PUBLIC);
    await this.page.refreshStatus(0);
    this.page.chat.notice(`You left ${result.data.room ?? room}.`);
  }

  async invite(user) {
    const room = this.page.chat.name;
    if (!user || !isRoom(room)) return;
    const result = await call('POST', '/invite', { room, user_name: user });
    if (!result.ok) {
      this.page.chat.notice(words(result, room));
      return;
    }
    byId('invite-user').value = '';
    byId('invite-form').hidden = true;
    byId('invite-room').setAttribute('aria-expanded', 'false');
    this.page.chat.notice(`You invited ${result.data.user_name ?? user} to ${room}.`);
  }

  /** The chat head's room buttons follow the open chat. */
  opened(name) {
    const room = isRoom(name);
    byId('invite-room').hidden = !room;
    byId('leave-room').hidden = !room;
    byId('invite-form').hidden = true;
    byId('invite-room').setAttribute('aria-expanded', 'false');
  }

  /**
   * A `member` event. Another's join or leave changes a count here (a big
   * room's members do not all ask `GET /rooms` again); one's own asks.
   */
  member(event) {
    if (!this.isMe(event.user_name)) {
      const room = this.shown?.find((r) => r.room === event.chat);
      const step = { joined: 1, left: -1 }[event.action];
      if (room && step) {
        room.members_number += step;
        this.render(this.shown);
      }
      return;
    }
    this.refresh();
    if (event.action === 'invited') {
      this.page.chat.notice(`You were invited to ${event.chat}: join it under Rooms.`);
    } else {
      this.page.refreshStatus();
    }
  }
}

/** The chat title of a room. */
export function roomTitle(title, name) {
  title.replaceChildren('Room ', el('bdi', {}, name));
}

/** What an empty room says. */
export const EMPTY_ROOM = 'No messages in this room yet. Write the first one below: every member sees it.';
