// Live delivery: the `GET /events` stream (API.md) read through fetch, since
// the browser's EventSource cannot send an Authorization header and a token
// never goes into a URL. After any drop (network, server restart, a silent
// stall) it reconnects with a growing, jittered delay and resumes with
// Last-Event-ID after the last event handled: nothing lost, nothing twice.

import { authHeaders, call, reportUnauthorized } from './api.js';

/** The server pings at least every 15 s; three missed pings is a stall. */
const STALL_MS = 45_000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

/** Splits a text/event-stream into frames `{id, event, data}` (the WHATWG rules). */
export class SseParser {
  constructor(dispatch) {
    this.dispatch = dispatch;
    this.buffer = '';
    this.data = [];
    this.event = '';
    this.id = null;
  }

  push(text) {
    this.buffer += text;
    const breaks = /\r\n|\n|\r/g;
    let start = 0;
    for (let found = breaks.exec(this.buffer); found; found = breaks.exec(this.buffer)) {
      // A CR that ends the chunk may be half of a CRLF split across chunks.
      if (found[0] === '\r' && found.index === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, found.index));
      start = found.index + found[0].length;
    }
    this.buffer = this.buffer.slice(start);
  }

  line(line) {
    if (line === '') {
      if (this.data.length) {
        this.dispatch({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.data = [];
      this.event = '';
      return;
    }
    if (line.startsWith(':')) return; // a comment: the server's ping
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * The event feed of one signed-in page. `onEvent(event)` gets each event
 * once, in order; `onState(state, ms)` hears 'connecting', 'live' and
 * 'reconnecting' (in `ms`); `onReset()` is called when the server no
 * longer knows the cursor (a new database) and the page must reload what it
 * shows.
 */
export class EventFeed {
  constructor({ onEvent, onState, onReset }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onReset = onReset;
    this.last = null;
    this.stopped = false;
    this.controller = null;
  }

  /**
   * Takes the server's current head as the starting point. Call it before
   * loading what the page shows, so that nothing committed in between is
   * missed (the page drops what it already has by id).
   */
  async begin() {
    const head = await call('GET', '/events');
    if (head.ok) this.last = head.data.next;
    return head;
  }

  /** Runs until `stop`: streams, and reconnects after every drop. */
  async run() {
    let failures = 0;
    while (!this.stopped) {
      if (this.last === null) {
        const head = await this.begin();
        if (head.status === 401 || this.stopped) return;
        if (head.ok) {
          this.onReset();
          continue;
        }
      } else {
        const outcome = await this.stream();
        if (outcome === 'unauthorized' || this.stopped) return;
        if (outcome === 'reset') {
          this.last = null;
          continue;
        }
        if (outcome === 'streamed') failures = 0;
      }
      failures += 1;
      const wait = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - 1));
      const jittered = wait / 2 + Math.random() * (wait / 2);
      this.onState('reconnecting', jittered);
      await sleep(jittered);
    }
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
  }

  /** One stream, until it ends or drops: 'streamed', 'failed', 'reset' or 'unauthorized'. */
  async stream() {
    this.onState('connecting');
    const controller = new AbortController();
    this.controller = controller;
    let response;
    try {
      response = await fetch('/events', {
        headers: {
          ...authHeaders(),
          Accept: 'text/event-stream',
          'Last-Event-ID': String(this.last),
        },
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch {
      return 'failed';
    }
    if (response.status === 401) {
      reportUnauthorized();
      return 'unauthorized';
    }
    if (response.status === 400) {
      const body = await response.json().catch(() => null);
      return body?.code === 'invalid_since' ? 'reset' : 'failed';
    }
    const type = response.headers.get('Content-Type') ?? '';
    if (!response.ok || !response.body || !type.startsWith('text/event-stream')) return 'failed';
    this.onState('live');
    const parser = new SseParser((frame) => this.deliver(frame));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let stall = setTimeout(() => controller.abort(), STALL_MS);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(stall);
        stall = setTimeout(() => controller.abort(), STALL_MS);
        parser.push(value);
      }
    } catch {
      // Dropped or aborted: resume from the last event handled.
    } finally {
      clearTimeout(stall);
    }
    return 'streamed';
  }

  deliver(frame) {
    let event;
    try {
      event = JSON.parse(frame.data);
    } catch {
      return;
    }
    if (typeof event?.id !== 'number' || event.id <= this.last) return;
    this.last = event.id;
    this.onEvent(event);
  }
}
