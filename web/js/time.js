// Times in the viewer's own time zone and language (the browser's), and
// waits said in words.

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndClock = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
});
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth()
    && a.getDate() === b.getDate();
}

/** A stamp to show next to a message: the clock today, else the day too. */
export function shortTime(date) {
  return sameDay(date, new Date()) ? clock.format(date) : dayAndClock.format(date);
}

/** The whole date, time and zone, for a tooltip. */
export function fullTime(date) {
  return full.format(date);
}

/** A `<time>`-ready pair for an RFC 3339 stamp. */
export function stamp(iso) {
  const date = new Date(iso);
  return { datetime: iso, title: fullTime(date), text: shortTime(date) };
}

/** "45 s", "12 min", "3 h 5 min": a wait of `seconds` in words. */
export function inWords(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** "3:59:58" or "4:05": what is left of a wait, for a countdown. */
export function countdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "at 14:05 (in 12 min)": when a wait of `seconds` from now ends. */
export function whenInWords(seconds) {
  const end = new Date(Date.now() + seconds * 1000);
  return `at ${shortTime(end)} (in ${inWords(seconds)})`;
}
