// The JSON API of the same server (API.md), through fetch. Every answer
// comes back as a plain result, never a thrown error, and every refusal
// carries words a person can read.

import { whenInWords } from './time.js';
import { learnLimit, tooLongWords } from './length.js';

/** A POST whose request failed or got 503 is sent again, this many times at most. */
const RETRIES = 3;
/** A Retry-After longer than this is said to the person instead of waited for. */
const LONGEST_WAIT_S = 10;

let token = null;
let onUnauthorized = () => {};

/** The bearer token sent with every call (null: none). */
export function useToken(value) {
  token = value;
}

/** Called when the server no longer knows the token (401). */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/** The headers that authenticate a request. */
export function authHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * One API call. Resolves to `{ok, status, data, retryAfter, words}`:
 * `data` the JSON body (or null), `retryAfter` in seconds (or null),
 * `words` a sentence for a refusal (status 0: the server was not reached).
 */
export async function call(method, path, body) {
  const headers = authHeaders();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // One key per message: a retry repeats it, so the server applies it once.
  if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey();
  for (let attempt = 0; ; attempt += 1) {
    const result = await once(method, path, headers, body);
    const retryable = method === 'POST' && (result.status === 0 || result.status === 503);
    const wait = result.retryAfter ?? 0.5 * 2 ** attempt;
    if (!retryable || attempt >= RETRIES || wait > LONGEST_WAIT_S) return result;
    await new Promise((resolve) => { setTimeout(resolve, wait * 1000); });
  }
}

/** 32 random hexadecimal characters (crypto.randomUUID needs a secure context). */
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function once(method, path, headers, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    return refusal(0, null, null);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data, retryAfter: null, words: '' };
  const header = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  const retryAfter = Number.isFinite(header) ? header : (data?.retry_after ?? null);
  if (response.status === 401 && token) onUnauthorized();
  return refusal(response.status, data, retryAfter);
}

function refusal(status, data, retryAfter) {
  return { ok: false, status, data, retryAfter, words: describe(status, data, retryAfter) };
}

/** A refusal in words: what happened and, when it says, when to try again. */
export function describe(status, data, retryAfter) {
  if (status === 0) return 'Cannot reach the server: check the connection and try again.';
  const again = retryAfter ? ` You can try again ${whenInWords(retryAfter)}.` : '';
  switch (data?.code) {
    case 'quota_exceeded':
      return `You have sent all the public messages allowed in this window.${again}`;
    case 'comment_quota_exceeded':
      return `You have written all the comments allowed in this window.${again}`;
    case 'banned':
      return `You are banned from sending messages and comments.${again}`;
    case 'overloaded':
      return `The server is busy.${again || ' Try again in a moment.'}`;
    case 'store_unavailable':
      return `The server cannot save anything right now.${again}`;
    case 'unauthorized':
      return 'The server does not know this token.';
    case 'invalid_text':
      learnLimit(data.error);
      return tooLongWords();
    case 'invalid_user_name':
      return 'A user name is 1 to 32 letters, digits, _, - or . (no spaces or other signs).';
    default: {
      const said = data?.error ?? data?.warning;
      const sentence = said ? `${said[0].toUpperCase()}${said.slice(1)}` : `The server answered ${status}.`;
      return `${sentence.replace(/\.?$/, '.')}${again}`;
    }
  }
}

/** Tells the page that the token was refused outside `call` (the event stream). */
export function reportUnauthorized() {
  if (token) onUnauthorized();
}
