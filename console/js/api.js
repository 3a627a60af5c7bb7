// The admin API with the caller's own credential, kept for this tab's session only.
const KEY = 'baraza.credential';

export class ApiError extends Error {
  constructor(status, body) {
    const details = body && (body.details || body.error);
    super(details ? `${details}` : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set token(value) { if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY); },
  get author() { return sessionStorage.getItem('baraza.author') || ''; },
  set author(value) { sessionStorage.setItem('baraza.author', value || ''); },
  role: null,      // 'operator' | 'tenant' | 'organization'
  tenants: [],     // what the credential sees
};

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

// api('GET', '/tenants') -> the parsed body; throws ApiError on a non-2xx answer.
export async function api(method, path, body, { type, raw } = {}) {
  const headers = { Authorization: `Bearer ${session.token}` };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = type || 'application/json';
    payload = type ? body : JSON.stringify(body);
  }
  const response = await fetch(`/admin/v1${path}`, { method, headers, body: payload, cache: 'no-store' });
  if (response.status === 401) {
    onUnauthorized();
    throw new ApiError(401, { details: 'the credential was refused: log in again' });
  }
  if (raw && response.ok) return response.text();
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { details: text }; }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const path = (strings, ...values) =>
  strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
