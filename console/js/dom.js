// DOM building without HTML strings: every text a customer or tenant wrote goes in as a text
// node, never as markup, so `<img src=x onerror=...>` in a message shows as those characters.

// h('button', {class: 'primary', onclick: fn}, 'Save') -> element. Children: nodes, strings,
// numbers, arrays of those; null and false are skipped.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = !!value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces what `el` shows.
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let toastTimer = null;
export function toast(text, kind = 'ok') {
  const el = document.getElementById('toast');
  el.className = 'toast ' + kind;
  el.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ''; el.textContent = ''; }, 4000);
}

// A labelled form field.
export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
}

// A table that scrolls sideways inside itself on a narrow screen.
export function table(headers, rows) {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)));
}

export function when(iso) {
  if (!iso) return '';
  const d = new Date(String(iso).replace(' ', 'T').replace(/\+00$/, 'Z'));
  return isNaN(d) ? String(iso) : d.toLocaleString();
}

// Runs an async action from a button, showing its error instead of losing it.
export function action(fn) {
  return async (event) => {
    const button = event && event.currentTarget;
    if (button) button.disabled = true;
    try { await fn(event); } catch (e) { toast(e.message, 'error'); } finally { if (button) button.disabled = false; }
  };
}
