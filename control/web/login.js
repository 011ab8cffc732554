// The login, password change and reset pages of amphi-control (docs/control.md).
// Talks to the JSON API with fetch; the session is the HttpOnly cookie the
// server sets, which this script never sees.  No inline script: the pages are
// served with Content-Security-Policy default-src 'self'.
'use strict';

const $ = (id) => document.getElementById(id);

function say(text, ok) {
  const m = $('message');
  m.textContent = text;
  m.className = ok ? 'ok' : '';
}

// Turns an error body {"error", "detail"} into one readable text.
function explain(body, status) {
  if (!body || !body.error) return 'HTTP ' + status;
  const d = body.detail;
  if (Array.isArray(d)) return d.map((x) => x.message || x.error || JSON.stringify(x)).join('\n');
  if (d && typeof d === 'object') return d.message || body.error;
  return d || body.error;
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { /* 204: no body */ }
  return { status: r.status, data };
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function show(section) {
  for (const id of ['login', 'change', 'home']) if ($(id)) $(id).hidden = id !== section;
}

async function refresh() {
  const r = await api('GET', '/api/session');
  if (r.status !== 200) { show('login'); return; }
  $('who').textContent = r.data.account.email;
  $('role').textContent = r.data.account.role;
  show(r.data.must_change_password ? 'change' : 'home');
}

function setupIndex() {
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/login', formValues(ev.target));
    if (r.status === 200) { say('', true); ev.target.reset(); refresh(); }
    else say(explain(r.data, r.status));
  });
  $('change-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/password', formValues(ev.target));
    if (r.status === 200) { say('Password changed.', true); ev.target.reset(); refresh(); }
    else say(explain(r.data, r.status));
  });
  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/logout');
    say('Logged out.', true);
    refresh();
  });
  refresh();
}

function setupReset() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token) {
    $('request').hidden = true;
    $('reset').hidden = false;
    history.replaceState(null, '', location.pathname);   // keep the token out of the history
  }
  $('request-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/password/reset-request', formValues(ev.target));
    if (r.status === 202) say('If an account has this address, a reset link was sent to it.', true);
    else say(explain(r.data, r.status));
  });
  $('reset-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/password/reset',
      { token, new_password: formValues(ev.target).new_password });
    if (r.status === 204) say('Password set: you can log in now.', true);
    else say(explain(r.data, r.status));
  });
}

if ($('login-form')) setupIndex();
if ($('request-form')) setupReset();
