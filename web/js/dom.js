// Element building for the whole page. User data only ever enters the page
// through these helpers as text (`append` of a string makes a text node):
// nothing here parses markup, so a message like <img src=x onerror=...> shows
// its characters and runs nothing.

/** The element with this id. */
export const byId = (id) => document.getElementById(id);

/**
 * A new element. `attrs`: `class`, `dataset` (an object), `on<event>`
 * handlers, any other attribute (skipped when null, undefined or false).
 * `children`: nodes or strings, strings inserted as text.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/** Replaces an element's content with text. */
export function setText(node, text) {
  node.textContent = text;
}

/** Whether a scrolling box shows its end (within a few pixels). */
export function atEnd(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}
