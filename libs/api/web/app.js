/*
 * Tributary web UI: a hash-routed single page app over the REST API (/api/v1).
 * Plain modern JavaScript, no framework, no build step, nothing loaded from elsewhere.
 *
 * Routes: #/login, #/dags, #/dags/<dagId>[/grid|/graph|/runs|/backfills],
 * #/dags/<dagId>/runs/<runId>, #/runs, #/assets, #/backfills. A side panel opens from the query:
 * #/dags/<dagId>/grid?run=<runId>&task=<taskId>, #/assets?asset=<name>, #/backfills?backfill=<id>.
 * Every visible page polls the API every few seconds, so states update live.
 */
/* global document, window, Node, URLSearchParams, fetch, localStorage, sessionStorage, location */
/* global console, setTimeout, clearTimeout, setInterval */
'use strict';

(() => {
  const POLL_MS = 3000;
  const TOKEN_KEY = 'tributary.token';
  const TZ_KEY = 'tributary.timezone';
  const LOGIN_REASON_KEY = 'tributary.loginReason';

  /** Task instance states in the order the legend shows them. */
  const TI_STATES = [
    'success',
    'failed',
    'running',
    'queued',
    'scheduled',
    'up_for_retry',
    'up_for_reschedule',
    'upstream_failed',
    'skipped',
    'deferred',
  ];
  const RUN_STATES = ['queued', 'running', 'success', 'failed'];
  const RUN_TYPES = ['scheduled', 'manual', 'backfill', 'asset_triggered', 'external'];
  const RUN_TYPE_MARK = { manual: 'M', backfill: 'B', asset_triggered: 'A', external: 'E', scheduled: '' };
  const FRESHNESS = ['fresh', 'late', 'missing', 'pending'];

  // ---------------------------------------------------------------- DOM helpers

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (selector, root = document) => root.querySelector(selector);

  /** h('a', { href, class, onclick }, ...children): an element; strings become text nodes (never HTML). */
  function h(tag, props, ...children) {
    return build(document.createElement(tag), props, children, false);
  }

  function s(tag, props, ...children) {
    return build(document.createElementNS(SVG_NS, tag), props, children, true);
  }

  function build(el, props, children, svgMode) {
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class')
        el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
      else if (key === 'style' && typeof value === 'object') {
        for (const [name, v] of Object.entries(value)) el.style.setProperty(name, v);
      } else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else if (!svgMode && ['value', 'checked', 'disabled', 'selected'].includes(key)) el[key] = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  /** Replaces a container's children only when the data behind them changed (no flicker while polling). */
  function renderInto(container, data, render) {
    const key = JSON.stringify(data);
    if (container.__key === key) return;
    container.__key = key;
    container.replaceChildren(...[render(data)].flat().filter(Boolean));
  }

  /** Element.append, skipping null / false (append itself would write "null"). */
  const append = (el, ...children) =>
    el.append(...children.filter((c) => c !== null && c !== undefined && c !== false));

  const enc = encodeURIComponent;

  function qs(params) {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params))
      if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
    const text = search.toString();
    return text ? `?${text}` : '';
  }

  const icons = {
    play: 'M4 2.5v11l9.5-5.5z',
    refresh:
      'M13.6 2.4v4h-4l1.5-1.5A4.9 4.9 0 0 0 3.2 8H1.6a6.5 6.5 0 0 1 10.6-5zM2.4 13.6v-4h4l-1.5 1.5A4.9 4.9 0 0 0 12.8 8h1.6a6.5 6.5 0 0 1-10.6 5z',
    eraser: 'M9.7 2.3 14 6.6 7.6 13H4.3L2 10.7zM3.4 10.7 5 12.3h2.1l.7-.7-3.4-3.4z',
    check: 'M6.2 11.6 2.6 8l1.2-1.2 2.4 2.4 6-6L13.4 4.4z',
    cross: 'M4.2 3 8 6.8 11.8 3 13 4.2 9.2 8l3.8 3.8-1.2 1.2L8 9.2 4.2 13 3 11.8 6.8 8 3 4.2z',
    stop: 'M3.5 3.5h9v9h-9z',
  };
  const icon = (name) =>
    s('svg', { class: 'icon', viewBox: '0 0 16 16', 'aria-hidden': 'true' }, s('path', { d: icons[name] }));

  // ---------------------------------------------------------------- time

  let useUtc = localStorage.getItem(TZ_KEY) !== 'local';
  const pad = (n, w = 2) => String(n).padStart(w, '0');

  function fmt(iso, { seconds = true } = {}) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const [y, mo, day, hh, mi, ss] = useUtc
      ? [
          d.getUTCFullYear(),
          d.getUTCMonth() + 1,
          d.getUTCDate(),
          d.getUTCHours(),
          d.getUTCMinutes(),
          d.getUTCSeconds(),
        ]
      : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
    return `${y}-${pad(mo)}-${pad(day)} ${pad(hh)}:${pad(mi)}${seconds ? `:${pad(ss)}` : ''}`;
  }

  function shortDate(iso) {
    const text = fmt(iso, { seconds: false });
    return text.length > 5 ? text.slice(5) : text;
  }

  function span(ms) {
    const abs = Math.abs(ms);
    if (abs < 1000) return `${(abs / 1000).toFixed(1)}s`;
    const sec = Math.round(abs / 1000);
    if (sec < 60) return `${sec}s`;
    const min = Math.floor(sec / 60);
    if (min < 60) return `${min}m ${pad(sec % 60)}s`;
    const hours = Math.floor(min / 60);
    if (hours < 48) return `${hours}h ${pad(min % 60)}m`;
    return `${Math.floor(hours / 24)}d ${hours % 24}h`;
  }

  function rel(iso) {
    if (!iso) return '';
    const ms = new Date(iso).getTime() - Date.now();
    if (Math.abs(ms) < 5000) return 'just now';
    const text = span(ms).replace(/ \d+s$/, '');
    return ms < 0 ? `${text} ago` : `in ${text}`;
  }

  function duration(start, end) {
    if (!start) return '';
    const ms = (end ? new Date(end).getTime() : Date.now()) - new Date(start).getTime();
    return ms >= 0 ? span(ms) : '';
  }

  function when(iso, { relative = true } = {}) {
    if (!iso) return h('span', { class: 'faint' }, '—');
    return h(
      'span',
      { class: 'when', title: `${iso}${relative ? '' : ` (${rel(iso)})`}` },
      fmt(iso),
      relative ? h('span', { class: 'rel' }, rel(iso)) : null,
    );
  }

  // ---------------------------------------------------------------- API, auth, errors

  const auth = { token: localStorage.getItem(TOKEN_KEY), me: null };

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.code = (body && body.code) || (status ? `http_${status}` : 'network_error');
      this.fields = (body && body.fields) || null;
    }
  }

  async function api(method, path, body, { redirectOn401 = true } = {}) {
    const headers = { accept: 'application/json' };
    if (auth.token) headers.authorization = `Bearer ${auth.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(`/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, {
        code: 'network_error',
        message: `cannot reach the Tributary API (${error.message})`,
      });
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { message: text.slice(0, 300) };
    }
    if (response.status === 401 && redirectOn401) {
      signOut((data && data.message) || 'your token was not accepted');
      throw new ApiError(401, data);
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  const get = (path) => api('GET', path);

  /** Forgets the token and goes to the login page (once, however many calls answered 401). */
  function signOut(reason) {
    if (!auth.token) return;
    auth.token = null;
    auth.me = null;
    localStorage.removeItem(TOKEN_KEY);
    if (reason) sessionStorage.setItem(LOGIN_REASON_KEY, reason);
    else sessionStorage.removeItem(LOGIN_REASON_KEY);
    const here = location.hash.startsWith('#/login') ? '' : location.hash;
    location.hash = `#/login${here ? `?next=${enc(here)}` : ''}`;
  }

  const canOperate = () => Boolean(auth.me) && auth.me.role !== 'viewer';

  async function loadMe() {
    try {
      auth.me = await get('/auth/whoami');
    } catch (error) {
      if (error.status === 401) return false;
      throw error;
    }
    renderChrome();
    return true;
  }

  const banner = $('#banner');

  function showError(error, source = 'action') {
    if (!(error instanceof ApiError)) {
      console.error(error);
      error = new ApiError(0, { code: 'ui_error', message: String((error && error.message) || error) });
    }
    if (error.status === 401) return;
    banner.hidden = false;
    banner.dataset.source = source;
    $('#banner-title').textContent = error.code;
    $('#banner-message').textContent = error.message;
    const fields = Object.entries(error.fields || {}).map(([name, messages]) =>
      h('li', null, h('code', null, name), ': ', [].concat(messages).join('; ')),
    );
    $('#banner-fields').replaceChildren(...fields);
  }

  function clearError(source) {
    if (!source || banner.dataset.source === source) banner.hidden = true;
  }

  $('#banner-close').addEventListener('click', () => clearError());

  function toast(...children) {
    const el = h(
      'div',
      { class: 'toast', role: 'status', title: 'Dismiss', onclick: () => el.remove() },
      ...children,
    );
    const box = $('#toasts');
    box.append(el);
    while (box.children.length > 3) box.firstElementChild.remove();
    setTimeout(() => el.remove(), 4000);
  }

  /** Runs an operator action: errors go to the banner; resolves to the result or undefined. */
  async function act(work) {
    try {
      clearError('action');
      return await work();
    } catch (error) {
      showError(error);
      return undefined;
    }
  }

  // ---------------------------------------------------------------- chrome: nav, whoami, live, tz

  function renderChrome(routeName) {
    const signedIn = Boolean(auth.token && auth.me);
    document.body.classList.toggle('signed-out', !signedIn);
    $('.nav').hidden = !signedIn;
    $('#live').hidden = !signedIn;
    const who = $('#whoami');
    who.hidden = !signedIn;
    $('#logout').hidden = !signedIn;
    if (signedIn) {
      who.replaceChildren(
        h('span', null, auth.me.name),
        h('span', { class: `role role-${auth.me.role}`, id: 'role' }, auth.me.role),
      );
    }
    if (routeName !== undefined) {
      for (const a of document.querySelectorAll('.nav a'))
        a.classList.toggle('active', a.dataset.nav === routeName);
    }
    $('#tz-toggle').textContent = useUtc ? 'UTC' : 'Local time';
  }

  /** The live indicator: ok (with the last refresh time), paused (tab hidden), error, or offline. */
  function setLive(status) {
    const live = $('#live');
    live.classList.toggle('error', status === 'error' || status === 'offline');
    live.classList.toggle('paused', status === 'paused');
    $('#live-text').textContent =
      status === 'ok' ? `updated ${fmt(new Date().toISOString()).slice(11)}` : status;
  }

  $('#logout').addEventListener('click', () => signOut(null));
  $('#tz-toggle').addEventListener('click', () => {
    useUtc = !useUtc;
    localStorage.setItem(TZ_KEY, useUtc ? 'utc' : 'local');
    render();
  });

  // ---------------------------------------------------------------- modal, panel

  const modalRoot = $('#modal');

  /**
   * A dialog with Cancel / confirm. `onConfirm` may throw an ApiError: its message and field
   * errors show inside the dialog, which stays open. Resolves true when confirmed.
   */
  function modal({ title, body, confirmLabel = 'Confirm', danger = false, onConfirm }) {
    return new Promise((resolve) => {
      const errorBox = h('div', { class: 'field-error' });
      const confirm = h(
        'button',
        { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'] },
        confirmLabel,
      );
      const close = (result) => {
        modalRoot.hidden = true;
        modalRoot.replaceChildren();
        document.removeEventListener('keydown', onKey);
        resolve(result);
      };
      const onKey = (event) => {
        if (event.key === 'Escape') close(false);
      };
      const form = h(
        'form',
        {
          class: 'modal',
          role: 'dialog',
          'aria-modal': 'true',
          'aria-label': title,
          onsubmit: async (event) => {
            event.preventDefault();
            confirm.disabled = true;
            errorBox.replaceChildren();
            try {
              if (onConfirm) await onConfirm();
              close(true);
            } catch (error) {
              confirm.disabled = false;
              const fields = Object.entries((error && error.fields) || {}).map(([k, v]) =>
                h('div', null, `${k}: ${[].concat(v).join('; ')}`),
              );
              errorBox.replaceChildren(h('div', null, (error && error.message) || String(error)), ...fields);
            }
          },
        },
        h('div', { class: 'modal-head' }, h('h2', null, title)),
        h('div', { class: 'modal-body' }, body, errorBox),
        h(
          'div',
          { class: 'modal-foot' },
          h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
          confirm,
        ),
      );
      modalRoot.replaceChildren(form);
      modalRoot.hidden = false;
      modalRoot.onclick = (event) => {
        if (event.target === modalRoot) close(false);
      };
      document.addEventListener('keydown', onKey);
      const first = form.querySelector('input, textarea, select') || confirm;
      first.focus();
    });
  }

  const panelRoot = $('#panel');
  let panel = null;
  let panelRefreshing = false;

  /** Opens the side panel: `make(body)` fills it and returns { refresh }; `onClose` runs when it closes. */
  function openPanel(title, subtitle, onClose, make) {
    closePanel();
    const body = h('div', { class: 'panel-body' });
    const head = h(
      'div',
      { class: 'panel-head' },
      h(
        'div',
        { class: 'title' },
        h('h2', null, title),
        subtitle ? h('div', { class: 'muted small' }, subtitle) : null,
      ),
      h(
        'button',
        { type: 'button', class: 'panel-close', 'aria-label': 'Close panel', onclick: closePanel },
        '×',
      ),
    );
    panelRoot.replaceChildren(head, body);
    panelRoot.hidden = false;
    document.body.classList.add('panel-open');
    panel = { ...make(body), onClose };
    refreshPanel();
  }

  function closePanel() {
    if (!panel) return;
    const closing = panel;
    panel = null;
    panelRoot.hidden = true;
    panelRoot.replaceChildren();
    document.body.classList.remove('panel-open');
    if (closing.onClose) closing.onClose();
  }

  /**
   * What the side panel shows, highlighted on the page: the elements `selector` in `container` whose
   * dataset `matches` the key get the class `selected`. Call `mark()` again after they are redrawn.
   */
  function panelSelection(container, selector, matches) {
    let key = null;
    const mark = () => {
      for (const el of container.querySelectorAll(selector))
        el.classList.toggle('selected', key !== null && matches(el.dataset, key));
    };
    return {
      mark,
      /** Opens the panel on `what` (`show(onClose)`); it stays highlighted until the panel closes. */
      open(what, show) {
        show(() => {
          key = null;
          mark();
        });
        // Only now: showing closed the panel open before, whose onClose forgot its selection.
        key = what;
        mark();
      },
    };
  }

  /** A panel's two sections: facts, then a titled list. Returns their elements. */
  function panelSections(body, listTitle) {
    const info = h('div');
    const list = h('div');
    body.append(
      h('div', { class: 'panel-section' }, info),
      h('div', { class: 'panel-section' }, h('h3', null, listTitle), list),
    );
    return [info, list];
  }

  async function refreshPanel() {
    if (!panel || panelRefreshing) return;
    panelRefreshing = true;
    const current = panel;
    try {
      await current.refresh();
      clearError('panel');
    } catch (error) {
      if (panel === current) showError(error, 'panel');
    } finally {
      panelRefreshing = false;
    }
  }

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && modalRoot.hidden) closePanel();
  });

  // ---------------------------------------------------------------- small components

  const stateClass = (state) => `s-${state || 'none'}`;

  function stateBadge(state, label) {
    return h(
      'span',
      { class: ['state', stateClass(state)], dataset: { state: state || 'none' } },
      label || state || 'no status',
    );
  }

  function freshnessBadge(status) {
    return h(
      'span',
      { class: ['state', `f-${status || 'none'}`], dataset: { freshness: status || 'none' } },
      status || 'no contract',
    );
  }

  function legend(states, prefix = 's') {
    return h(
      'div',
      { class: 'legend', 'aria-label': 'Legend' },
      states.map((state) =>
        h(
          'span',
          { class: 'legend-item' },
          h('span', { class: ['swatch', `${prefix}-${state}`] }),
          state === 'none' ? (prefix === 'f' ? 'no contract' : 'no status') : state,
        ),
      ),
    );
  }

  const dagHref = (dagId, tab) => `#/dags/${enc(dagId)}${tab ? `/${tab}` : ''}`;
  const runHref = (dagId, runId) => `#/dags/${enc(dagId)}/runs/${enc(runId)}`;
  const assetHref = (name) => `#/assets?asset=${enc(name)}`;
  const assetLink = (name) => h('a', { href: assetHref(name) }, name);
  /** DAG ids as links, one a line. */
  const dagLinks = (dagIds) => dagIds.map((d) => h('div', null, h('a', { href: dagHref(d) }, d)));

  function button(label, onclick, { kind = '', iconName, small = false, title, disabled } = {}) {
    return h(
      'button',
      {
        type: 'button',
        class: ['btn', kind && `btn-${kind}`, small && 'btn-small'],
        onclick,
        title,
        disabled,
      },
      iconName ? icon(iconName) : null,
      label,
    );
  }

  function card(title, extra, ...content) {
    return h(
      'section',
      { class: 'card' },
      title
        ? h('div', { class: 'card-head' }, h('h2', null, title), h('span', { class: 'spacer' }), extra)
        : null,
      ...content,
    );
  }

  function table(headers, rows, { empty = 'Nothing here yet.' } = {}) {
    if (rows.length === 0) return h('div', { class: 'empty' }, empty);
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            headers.map((x) => h('th', { class: x.startsWith('#') ? 'num' : null }, x.replace(/^#/, ''))),
          ),
        ),
        h('tbody', null, rows),
      ),
    );
  }

  function facts(pairs) {
    return h(
      'dl',
      { class: 'facts' },
      pairs
        .filter(Boolean)
        .map(([label, value]) =>
          h('div', { class: 'fact' }, h('dt', null, label), h('dd', null, value ?? '—')),
        ),
    );
  }

  function pager(total, limit, offset, go) {
    if (total <= limit && offset === 0) return null;
    const last = Math.min(offset + limit, total);
    return h(
      'div',
      { class: 'pager' },
      `${total === 0 ? 0 : offset + 1}–${last} of ${total}`,
      button('Previous', () => go(Math.max(0, offset - limit)), { small: true, disabled: offset === 0 }),
      button('Next', () => go(offset + limit), { small: true, disabled: last >= total }),
    );
  }

  function select(options, value, onchange, label) {
    return h(
      'select',
      { 'aria-label': label, onchange: (event) => onchange(event.target.value) },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    );
  }

  /** A filter: '' (`anyText`, e.g. "Any state") or one of `values`. */
  const anySelect = (anyText, values, value, onchange, label) =>
    select([['', anyText], ...values.map((x) => [x, x])], value, onchange, label);

  /** A page's title, the line under it, and its controls on the right. */
  function pageHead(title, sub, ...controls) {
    return h(
      'div',
      { class: 'page-head' },
      h('div', null, h('h1', null, title), h('div', { class: 'sub' }, sub)),
      ...controls,
    );
  }

  /** The paused toggle: on means active (scheduling), like Airflow's. */
  function pauseSwitch(dag, onDone) {
    const input = h('input', {
      type: 'checkbox',
      role: 'switch',
      checked: !dag.isPaused,
      disabled: !canOperate(),
      'aria-label': `${dag.dagId} is active`,
      dataset: { paused: String(dag.isPaused) },
    });
    const label = h('span', { class: 'switch-label' }, dag.isPaused ? 'Paused' : 'Active');
    input.addEventListener('change', async () => {
      const isPaused = !input.checked;
      input.disabled = true;
      const updated = await act(() => api('PATCH', `/dags/${enc(dag.dagId)}`, { isPaused }));
      if (updated) {
        label.textContent = updated.isPaused ? 'Paused' : 'Active';
        input.checked = !updated.isPaused;
        input.dataset.paused = String(updated.isPaused);
        toast(`${dag.dagId} ${updated.isPaused ? 'paused' : 'unpaused'}`);
        if (onDone) onDone(updated);
      } else {
        input.checked = !input.checked;
      }
      input.disabled = !canOperate();
    });
    return h(
      'label',
      { class: 'switch', title: canOperate() ? 'Pause or unpause scheduling' : 'Operators can pause DAGs' },
      input,
      h('span', { class: 'track' }),
      label,
    );
  }

  async function triggerRun(dagId, body = {}) {
    const result = await api('POST', `/dags/${enc(dagId)}/runs`, body);
    toast(
      result.status === 'duplicate' ? 'Already triggered: ' : 'Triggered ',
      h('a', { href: runHref(dagId, result.runId) }, result.runId),
    );
    return result;
  }

  function triggerWithConfig(dagId, after) {
    const conf = h('textarea', { rows: 6, name: 'conf', spellcheck: 'false' }, '{\n  \n}');
    const logicalDate = h('input', {
      type: 'text',
      name: 'logicalDate',
      placeholder: '2026-04-25T00:00:00Z (default: now)',
    });
    const runId = h('input', { type: 'text', name: 'runId', placeholder: 'default: generated' });
    const note = h('input', { type: 'text', name: 'note', placeholder: 'why this run' });
    return modal({
      title: `Trigger ${dagId}`,
      confirmLabel: 'Trigger',
      body: [
        h('label', { class: 'field' }, 'Configuration (JSON, read by tasks as ctx.conf)', conf),
        h('label', { class: 'field' }, 'Logical date (optional)', logicalDate),
        h('label', { class: 'field' }, 'Run id (optional)', runId),
        h('label', { class: 'field' }, 'Note (optional)', note),
      ],
      onConfirm: async () => {
        let parsed;
        try {
          parsed = conf.value.trim() ? JSON.parse(conf.value) : {};
        } catch (error) {
          throw new ApiError(400, { message: `the configuration is not JSON: ${error.message}` });
        }
        await triggerRun(dagId, {
          conf: parsed,
          logicalDate: logicalDate.value.trim() || undefined,
          runId: runId.value.trim() || undefined,
          note: note.value.trim() || undefined,
        });
        if (after) after();
      },
    });
  }

  function rerunRun(dagId, runId, after) {
    return modal({
      title: `Rerun ${runId}?`,
      confirmLabel: 'Rerun the whole run',
      danger: true,
      body: h(
        'p',
        null,
        'Every task instance of this run goes back to the start and runs again. To resume from a failed task only, clear that task instead.',
      ),
      onConfirm: async () => {
        await api('POST', `/dags/${enc(dagId)}/runs/${enc(runId)}/rerun`);
        toast(`Rerunning ${runId}`);
        if (after) after();
      },
    });
  }

  /** Clears a run's failed task instances with their downstream, after a dry-run preview. */
  async function clearFailed(dagId, runId, taskIds, after) {
    const url = `/dags/${enc(dagId)}/runs/${enc(runId)}/clear`;
    const request = { taskIds, downstream: true, onlyFailed: true };
    const preview = await act(() => api('POST', url, { ...request, dryRun: true }));
    if (!preview) return;
    const cleared = preview.cleared || [];
    const done = await modal({
      title: `Clear ${cleared.length} task instance${cleared.length === 1 ? '' : 's'}?`,
      confirmLabel: 'Confirm clear',
      danger: true,
      body: [
        h('p', null, `These task instances of ${runId} will be cleared and run again:`),
        h(
          'ul',
          { class: 'clear-preview' },
          cleared.map((t) => h('li', { dataset: { task: t } }, h('code', null, t))),
        ),
      ],
      onConfirm: async () => {
        const result = await api('POST', url, { ...request, dryRun: false });
        toast(`Cleared ${(result.cleared || []).join(', ') || 'nothing'}`);
      },
    });
    if (done && after) after();
  }

  /** A page whose DAG or run does not exist: say so in place of the page (the banner says it too). */
  async function orGone(root, request) {
    try {
      return await request;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        closePanel();
        root.replaceChildren(
          h(
            'div',
            { class: 'empty' },
            h('h2', null, error.message),
            h('p', null, h('a', { href: '#/dags' }, 'Back to the DAGs')),
          ),
        );
      }
      throw error;
    }
  }

  function progressBar(progress) {
    const p = progress || {};
    const total = p.total || 0;
    const parts = [
      ['done', 'var(--st-success)'],
      ['failed', 'var(--st-failed)'],
      ['running', 'var(--st-running)'],
      ['queued', 'var(--st-queued)'],
      ['skipped', 'var(--st-skipped)'],
      ['cancelled', 'var(--st-removed)'],
    ];
    const finished = (p.done || 0) + (p.failed || 0) + (p.skipped || 0) + (p.cancelled || 0);
    const words = [`${p.done || 0}/${total} done`];
    for (const k of ['running', 'queued', 'failed', 'skipped', 'cancelled'])
      if (p[k]) words.push(`${p[k]} ${k}`);
    return h(
      'div',
      { class: 'progress-cell' },
      h(
        'div',
        {
          class: 'progress',
          role: 'progressbar',
          'aria-valuemin': 0,
          'aria-valuemax': total,
          'aria-valuenow': finished,
          'aria-label': words.join(', '),
        },
        parts.map(([key, color]) =>
          p[key] && total
            ? h('span', {
                style: { width: `${(100 * p[key]) / total}%`, '--c': color },
                title: `${key}: ${p[key]}`,
              })
            : null,
        ),
      ),
      h('div', { class: 'progress-text' }, words.join(' · ')),
    );
  }

  // ---------------------------------------------------------------- graph layout (layered, left to right)

  /**
   * Places a directed graph in layers: a node's layer is its longest path from a source;
   * nodes within a layer are ordered by the barycenter of their neighbours (fewer crossings).
   */
  function layered(ids, edges, size, { gapX = 70, gapY = 22 } = {}) {
    const preds = new Map(ids.map((id) => [id, []]));
    const succs = new Map(ids.map((id) => [id, []]));
    for (const { from, to } of edges) {
      if (from === to || !preds.has(from) || !preds.has(to)) continue;
      succs.get(from).push(to);
      preds.get(to).push(from);
    }
    const indegree = new Map(ids.map((id) => [id, preds.get(id).length]));
    const queue = ids.filter((id) => indegree.get(id) === 0);
    const order = [];
    const seen = new Set();
    while (queue.length > 0) {
      const id = queue.shift();
      order.push(id);
      seen.add(id);
      for (const next of succs.get(id)) {
        indegree.set(next, indegree.get(next) - 1);
        if (indegree.get(next) === 0) queue.push(next);
      }
    }
    for (const id of ids) if (!seen.has(id)) order.push(id); // a cycle: break it where it is
    const at = new Map(order.map((id, i) => [id, i]));
    const rank = new Map();
    for (const id of order) {
      let r = 0;
      for (const p of preds.get(id)) if (at.get(p) < at.get(id)) r = Math.max(r, rank.get(p) + 1);
      rank.set(id, r);
    }
    const layers = [];
    for (const id of order) (layers[rank.get(id)] ||= []).push(id);
    const sortBy = (layer, neighbours, reference) => {
      const index = new Map(reference.map((id, i) => [id, i]));
      const keyed = layer.map((id, i) => {
        const ns = neighbours.get(id).filter((n) => index.has(n));
        return { id, key: ns.length ? ns.reduce((sum, n) => sum + index.get(n), 0) / ns.length : i };
      });
      keyed.sort((a, b) => a.key - b.key);
      layer.splice(0, layer.length, ...keyed.map((k) => k.id));
    };
    for (let pass = 0; pass < 4; pass++) {
      for (let l = 1; l < layers.length; l++) sortBy(layers[l], preds, layers[l - 1]);
      for (let l = layers.length - 2; l >= 0; l--) sortBy(layers[l], succs, layers[l + 1]);
    }
    const boxes = new Map();
    const heights = layers.map(
      (layer) => layer.reduce((sum, id) => sum + size(id).h, 0) + gapY * (layer.length - 1),
    );
    const height = Math.max(0, ...heights);
    let x = 0;
    layers.forEach((layer, l) => {
      const width = Math.max(...layer.map((id) => size(id).w));
      let y = (height - heights[l]) / 2;
      for (const id of layer) {
        const { w, h: hh } = size(id);
        boxes.set(id, { x: x + (width - w) / 2, y, w, h: hh });
        y += hh + gapY;
      }
      x += width + gapX;
    });
    return { boxes, width: Math.max(0, x - gapX), height };
  }

  function edgePath(a, b) {
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x;
    const y2 = b.y + b.h / 2;
    const dx = Math.max(30, Math.abs(x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  }

  const truncate = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

  function graphSvg({ nodes, edges, pad: margin = 16 }) {
    const sizes = new Map(nodes.map((n) => [n.id, { w: n.w, h: n.h }]));
    const { boxes, width, height } = layered(
      nodes.map((n) => n.id),
      edges,
      (id) => sizes.get(id),
    );
    const arrowId = `arrow-${Math.random().toString(36).slice(2, 8)}`;
    const svg = s(
      'svg',
      {
        class: 'graph',
        width: width + 2 * margin,
        height: height + 2 * margin,
        viewBox: `${-margin} ${-margin} ${width + 2 * margin} ${height + 2 * margin}`,
        role: 'img',
      },
      s(
        'defs',
        null,
        s(
          'marker',
          {
            id: arrowId,
            viewBox: '0 0 10 10',
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: 'auto-start-reverse',
          },
          s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#94a3b8' }),
        ),
      ),
      edges
        .filter((e) => boxes.has(e.from) && boxes.has(e.to))
        .map((e) =>
          s(
            'path',
            {
              class: ['g-edge', e.kind],
              d: edgePath(boxes.get(e.from), boxes.get(e.to)),
              'marker-end': `url(#${arrowId})`,
            },
            e.title ? s('title', null, e.title) : null,
          ),
        ),
      nodes.map((n) => {
        const box = boxes.get(n.id);
        const g = s(
          'g',
          {
            class: ['g-node', ...n.classes],
            transform: `translate(${box.x},${box.y})`,
            style: n.color ? { '--c': n.color } : null,
            tabindex: 0,
            role: 'button',
            'aria-label': n.label,
            dataset: n.data,
            onclick: n.onclick,
            onkeydown: (event) => {
              if (event.key === 'Enter' && n.onclick) n.onclick(event);
            },
          },
          s('title', null, n.tooltip || n.label),
          s('rect', { class: 'box', width: box.w, height: box.h, rx: n.rx ?? 8 }),
          n.stripe ? s('rect', { class: 'stripe', x: 0, y: 8, width: 4, height: box.h - 16, rx: 2 }) : null,
          s(
            'text',
            { class: 'title', x: n.textX ?? 14, y: box.h / 2 - 3 },
            truncate(n.title, Math.floor((box.w - 24) / 7.6)),
          ),
          s(
            'text',
            { class: 'subtitle', x: n.textX ?? 14, y: box.h / 2 + 13 },
            truncate(n.subtitle || '', Math.floor((box.w - 24) / 6.2)),
          ),
        );
        return g;
      }),
    );
    return svg;
  }

  // ---------------------------------------------------------------- task instance panel

  /** Tries, the log of the selected try, and the operator actions (clear with a preview, mark). */
  function openTaskInstance(dagId, runId, taskId, { onChange, onClose } = {}) {
    const subtitle = h('span', null, 'run ', h('a', { href: runHref(dagId, runId) }, runId));
    openPanel(taskId, subtitle, onClose, (body) => {
      let selectedTry = null;
      let latest = null;
      let clearing = null; // { downstream, onlyFailed, preview: string[] | null, error }
      const stateEl = h('div', { class: 'row' });
      const actions = h('div', { class: 'actions' });
      const clearBox = h('div');
      const triesEl = h('div', { class: 'tries' });
      const logTitle = h('h3', null, 'Log');
      const logEl = h('pre', { class: 'log', 'aria-label': 'Task log' });
      const base = `/dags/${enc(dagId)}/runs/${enc(runId)}/tasks/${enc(taskId)}`;

      append(
        body,
        h('div', { class: 'panel-section' }, stateEl),
        canOperate()
          ? h('div', { class: 'panel-section' }, h('h3', null, 'Actions'), actions, clearBox)
          : null,
        h('div', { class: 'panel-section' }, h('h3', null, 'Tries'), triesEl),
        h('div', { class: 'panel-section' }, logTitle, logEl),
      );

      const changed = async () => {
        await refreshPanel();
        if (onChange) onChange();
      };

      actions.append(
        button('Clear', () => startClear(), {
          iconName: 'eraser',
          title: 'Clear this task instance so it runs again',
        }),
        button('Mark success', () => mark('success'), { iconName: 'check' }),
        button('Mark failed', () => mark('failed'), { iconName: 'cross' }),
      );

      function mark(state) {
        modal({
          title: `Mark ${taskId} ${state}?`,
          confirmLabel: `Mark ${state}`,
          danger: state === 'failed',
          body: h(
            'p',
            null,
            `The task instance ${taskId} of run ${runId} becomes ${state}; downstream tasks react as if it had ${state === 'success' ? 'succeeded' : 'failed'}.`,
          ),
          onConfirm: async () => {
            await api('POST', `${base}/mark`, { state });
            toast(`${taskId} marked ${state}`);
          },
        }).then((done) => done && changed());
      }

      function startClear() {
        clearing = { downstream: true, onlyFailed: true, preview: null, error: null };
        previewClear();
      }

      async function previewClear() {
        const current = clearing;
        current.preview = null;
        current.error = null;
        renderClear();
        try {
          const result = await api('POST', `${base}/clear`, {
            downstream: current.downstream,
            onlyFailed: current.onlyFailed,
            dryRun: true,
          });
          current.preview = result.cleared || [];
        } catch (error) {
          current.error = error;
          showError(error);
        }
        if (clearing === current) renderClear();
      }

      async function confirmClear() {
        const current = clearing;
        const result = await act(() =>
          api('POST', `${base}/clear`, {
            downstream: current.downstream,
            onlyFailed: current.onlyFailed,
            dryRun: false,
          }),
        );
        if (!result) return;
        clearing = null;
        selectedTry = null;
        renderClear();
        toast(
          result.cleared && result.cleared.length
            ? `Cleared ${result.cleared.join(', ')}`
            : 'Nothing was cleared',
        );
        await changed();
      }

      function renderClear() {
        if (!clearing) return clearBox.replaceChildren();
        const c = clearing;
        const option = (key, text, hint) =>
          h(
            'label',
            { class: 'check', title: hint },
            h('input', {
              type: 'checkbox',
              name: key,
              checked: c[key],
              onchange: (event) => {
                c[key] = event.target.checked;
                previewClear();
              },
            }),
            text,
          );
        let preview;
        if (c.error) preview = h('p', { class: 'field-error' }, `Cannot preview: ${c.error.message}`);
        else if (!c.preview) preview = h('p', { class: 'muted' }, 'Previewing…');
        else if (c.preview.length === 0)
          preview = h('p', { class: 'muted' }, 'Nothing to clear with these options.');
        else
          preview = h(
            'div',
            { class: 'clear-preview' },
            h(
              'div',
              null,
              `These ${c.preview.length} task instance${c.preview.length > 1 ? 's' : ''} will be cleared and run again:`,
            ),
            h(
              'ul',
              null,
              c.preview.map((t) => h('li', { dataset: { task: t } }, h('code', null, t))),
            ),
          );
        clearBox.replaceChildren(
          h(
            'div',
            { class: 'clear-box', role: 'group', 'aria-label': 'Clear task instances' },
            h('strong', null, 'Clear task instances'),
            h(
              'div',
              { class: 'row' },
              option('downstream', 'Downstream', 'Also clear every task downstream of this one'),
              option('onlyFailed', 'Only failed', 'Clear only failed or upstream_failed task instances'),
            ),
            preview,
            h(
              'div',
              { class: 'row' },
              button('Confirm clear', confirmClear, {
                kind: 'danger',
                disabled: !c.preview || c.preview.length === 0,
              }),
              button('Cancel', () => {
                clearing = null;
                renderClear();
              }),
            ),
          ),
        );
      }

      function renderTries(ti) {
        const tries = (ti.tries || []).slice().sort((a, b) => a.tryNumber - b.tryNumber);
        if (tries.length === 0) {
          return h(
            'div',
            { class: 'muted small' },
            `No tries yet: this task instance has not run (${ti.state || 'no status'}).`,
          );
        }
        const shown = selectedTry ?? ti.tryNumber;
        return tries.map((t) =>
          h(
            'button',
            {
              type: 'button',
              class: ['try', t.tryNumber === shown && 'selected'],
              dataset: { try: t.tryNumber, state: t.state },
              onclick: () => {
                selectedTry = t.tryNumber;
                refreshPanel();
              },
            },
            h(
              'div',
              { class: 'try-head' },
              h('strong', null, `Try ${t.tryNumber}`),
              stateBadge(t.state),
              h('span', { class: 'spacer' }),
              h('span', { class: 'muted small' }, duration(t.startedAt, t.endedAt)),
            ),
            h(
              'div',
              { class: 'try-meta' },
              [
                t.worker && `worker ${t.worker}`,
                t.startedAt && `started ${fmt(t.startedAt)}`,
                t.endedAt && `ended ${fmt(t.endedAt)}`,
                t.exitReason && `exit: ${t.exitReason}`,
              ]
                .filter(Boolean)
                .join(' · ') || `queued ${fmt(t.queuedAt)}`,
            ),
            t.error ? h('div', { class: 'try-error' }, t.error) : null,
          ),
        );
      }

      function renderLog(log) {
        const lines = log.lines || [];
        if (lines.length === 0) return h('span', { class: 'log-empty' }, 'No log lines for this try.');
        return lines.map((line) =>
          h(
            'span',
            { class: ['log-line', `lvl-${line.level || 'info'}`, `stream-${line.stream}`] },
            h('span', { class: 'log-at' }, fmt(line.at).slice(11)),
            h('span', { class: 'log-level' }, (line.level || line.stream || '').toUpperCase()),
            h('span', { class: 'log-msg' }, line.message),
          ),
        );
      }

      return {
        async refresh() {
          const ti = await get(base);
          latest = ti;
          renderInto(stateEl, [ti.state, ti.tryNumber], () => [
            stateBadge(ti.state),
            h('span', { class: 'muted' }, ti.tryNumber ? `try ${ti.tryNumber}` : 'not tried yet'),
            h('span', { class: 'spacer' }),
            h('a', { href: dagHref(dagId) }, dagId),
          ]);
          renderInto(triesEl, [ti.tries, selectedTry], () => renderTries(ti));
          const tryNumber = selectedTry ?? ti.tryNumber;
          logTitle.textContent = tryNumber ? `Log · try ${tryNumber}` : 'Log';
          if (!tryNumber) {
            renderInto(logEl, 'none', () =>
              h('span', { class: 'log-empty' }, 'No log: the task has not run.'),
            );
            return;
          }
          const log = await get(`${base}/logs?try=${tryNumber}`);
          if (latest !== ti) return;
          const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
          renderInto(logEl, log.lines, () => renderLog(log));
          if (atBottom) logEl.scrollTop = logEl.scrollHeight;
        },
      };
    });
  }

  // ---------------------------------------------------------------- asset panel

  function openAsset(name, { onClose } = {}) {
    openPanel(name, 'asset', onClose, (body) => {
      const [info, eventsEl] = panelSections(body, 'Recent events');
      return {
        async refresh() {
          const asset = await get(`/assets/${enc(name)}`);
          const f = asset.freshnessStatus;
          renderInto(info, asset, () => [
            asset.description ? h('p', null, asset.description) : null,
            facts([
              ['Freshness', freshnessBadge(f && f.status)],
              ['Contract', asset.contractText || 'none'],
              f && f.partition ? ['Partition', f.partition] : null,
              f && f.deadline ? ['Deadline', when(f.deadline)] : null,
              f && f.lateByMs ? ['Late by', span(f.lateByMs)] : null,
              ['Last event', when(asset.lastEventAt)],
              ['Produced by', asset.producers.length ? dagLinks(asset.producers) : '—'],
              ['Consumed by', asset.consumers.length ? dagLinks(asset.consumers) : '—'],
            ]),
          ]);
          const events = asset.events.items;
          renderInto(eventsEl, events, () =>
            events.length === 0
              ? h('div', { class: 'muted small' }, 'No events yet.')
              : table(
                  ['At', 'Partition', 'From'],
                  events.map((e) =>
                    h(
                      'tr',
                      { dataset: { event: e.eventId } },
                      h('td', null, when(e.createdAt)),
                      h('td', null, e.partition || h('span', { class: 'faint' }, '—')),
                      h(
                        'td',
                        null,
                        e.source
                          ? h(
                              'a',
                              { href: runHref(e.source.dagId, e.source.runId), title: e.source.runId },
                              `${e.source.dagId}.${e.source.taskId}`,
                            )
                          : h('span', { class: 'muted' }, 'outside producer'),
                      ),
                    ),
                  ),
                ),
          );
        },
      };
    });
  }

  // ---------------------------------------------------------------- pages

  function loginPage(route, root) {
    // Kept until the next sign-in, so the page says why however often it is shown.
    const reason = sessionStorage.getItem(LOGIN_REASON_KEY);
    const next = route.params.get('next');
    const input = h('input', {
      type: 'password',
      id: 'token',
      name: 'token',
      placeholder: 'trb_…',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-label': 'API token',
    });
    const error = h('div', { class: 'field-error', role: 'alert' }, reason ? `Signed out: ${reason}` : '');
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
    const form = h(
      'form',
      {
        class: 'card-body',
        onsubmit: async (event) => {
          event.preventDefault();
          const token = input.value.trim();
          if (!token) {
            error.textContent = 'Paste a token first.';
            return;
          }
          submit.disabled = true;
          auth.token = token;
          try {
            auth.me = await api('GET', '/auth/whoami', undefined, { redirectOn401: false });
            localStorage.setItem(TOKEN_KEY, token);
            sessionStorage.removeItem(LOGIN_REASON_KEY);
            clearError();
            location.hash = next && next.startsWith('#/') ? next : '#/dags';
          } catch (e) {
            auth.token = null;
            auth.me = null;
            error.textContent = e.status === 401 ? `That token was not accepted: ${e.message}` : e.message;
          } finally {
            submit.disabled = false;
          }
        },
      },
      h('h1', null, 'Sign in to Tributary'),
      h(
        'p',
        null,
        'Paste an API token. The first admin token is printed once when ',
        h('code', null, 'tributary standalone'),
        ' first starts (',
        h('code', null, 'admin token: trb_…'),
        '); admins create more, with the viewer or operator role.',
      ),
      h('label', { class: 'field' }, 'API token', input),
      error,
      h('div', { class: 'row' }, submit),
    );
    root.append(h('div', { class: 'login' }, h('div', { class: 'card' }, form)));
    input.focus();
    return {};
  }

  function dagsPage(route, root) {
    let q = route.params.get('q') || '';
    let filter = route.params.get('status') || 'all';
    const count = h('span', { class: 'muted' });
    const list = h('div');
    let timer = null;
    const search = h('input', {
      type: 'search',
      placeholder: 'Search DAGs…',
      value: q,
      'aria-label': 'Search DAGs',
      oninput: () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          q = search.value.trim();
          refreshPage();
        }, 200);
      },
    });
    root.append(
      pageHead(
        ['DAGs ', count],
        'Every deployed DAG, its schedule and its latest run.',
        h(
          'div',
          { class: 'row' },
          search,
          select(
            [
              ['all', 'All'],
              ['active', 'Active'],
              ['paused', 'Paused'],
            ],
            filter,
            (v) => {
              filter = v;
              refreshPage();
            },
            'Filter by paused',
          ),
        ),
      ),
      card(null, null, list),
    );

    function row(d) {
      const latest = d.latestRun;
      return h(
        'tr',
        { dataset: { dag: d.dagId } },
        h(
          'td',
          null,
          pauseSwitch(d, () => refreshPage()),
        ),
        h(
          'td',
          { class: 'dag-cell' },
          h('a', { class: 'dag-name', href: dagHref(d.dagId) }, d.dagId),
          d.description ? h('div', { class: 'dag-desc' }, d.description) : null,
          (d.tags || []).length
            ? h(
                'div',
                null,
                d.tags.map((t) => h('span', { class: 'tag' }, t)),
              )
            : null,
        ),
        h('td', { class: 'nowrap' }, d.owner || h('span', { class: 'faint' }, '—')),
        h('td', { class: 'schedule' }, d.schedule || '—'),
        h('td', null, d.timezone),
        h(
          'td',
          null,
          d.nextRun
            ? h(
                'span',
                {
                  class: 'when',
                  title: `logical date ${d.nextRun.logicalDate}, runs after ${d.nextRun.runAfter}`,
                },
                fmt(d.nextRun.runAfter),
                h('span', { class: 'rel' }, rel(d.nextRun.runAfter)),
              )
            : h(
                'span',
                { class: 'faint' },
                d.isPaused ? 'paused' : d.scheduleKind === 'assets' ? 'on asset events' : '—',
              ),
        ),
        h(
          'td',
          null,
          latest
            ? h(
                'a',
                { href: runHref(d.dagId, latest.runId), title: `${latest.runId} (${latest.runType})` },
                stateBadge(latest.state),
              )
            : h('span', { class: 'faint' }, 'no runs'),
        ),
        h(
          'td',
          { class: 'num' },
          canOperate()
            ? button('Trigger', () => act(() => triggerRun(d.dagId).then(() => refreshPage())), {
                small: true,
                iconName: 'play',
                title: `Trigger ${d.dagId} now`,
              })
            : null,
        ),
      );
    }

    return {
      async refresh() {
        const paused = filter === 'all' ? undefined : String(filter === 'paused');
        const { items, total } = await get(`/dags${qs({ q, paused, limit: 500 })}`);
        count.textContent = String(total);
        renderInto(list, [items, canOperate()], () =>
          table(
            ['Active', 'DAG', 'Owner', 'Schedule', 'Timezone', 'Next run', 'Latest run', ''],
            items.map(row),
            {
              empty:
                q || filter !== 'all'
                  ? 'No DAG matches.'
                  : 'No DAGs deployed yet: put DAG files in the dags folder.',
            },
          ),
        );
      },
    };
  }

  function dagPage(route, root) {
    const { dagId, tab } = route;
    const head = h('div');
    const info = h('div');
    const tabs = h(
      'nav',
      { class: 'tabs', 'aria-label': 'DAG views' },
      [
        ['grid', 'Grid'],
        ['graph', 'Graph'],
        ['runs', 'Runs'],
        ['backfills', 'Backfills'],
      ].map(([key, label]) =>
        h(
          'a',
          { href: dagHref(dagId, key), class: key === tab ? 'active' : null, dataset: { tab: key } },
          label,
        ),
      ),
    );
    const content = h('div');
    root.append(head, info, tabs, content);
    const view = { grid: gridTab, graph: graphTab, runs: runsTab, backfills: backfillsTab }[tab](
      dagId,
      content,
      route,
    );
    let dag = null;

    function renderHead(d) {
      return h(
        'div',
        { class: 'page-head' },
        h(
          'div',
          null,
          h('div', { class: 'crumbs' }, h('a', { href: '#/dags' }, 'DAGs'), ' / '),
          h(
            'div',
            { class: 'row' },
            h('h1', null, d.dagId),
            pauseSwitch(d, () => refreshPage()),
          ),
          d.description ? h('div', { class: 'sub' }, d.description) : null,
        ),
        canOperate()
          ? h(
              'div',
              { class: 'row' },
              button('Trigger', () => act(() => triggerRun(dagId).then(() => refreshPage())), {
                kind: 'primary',
                iconName: 'play',
              }),
              button('Trigger with config…', () => triggerWithConfig(dagId, () => refreshPage())),
            )
          : null,
      );
    }

    function renderInfo(d) {
      return card(
        null,
        null,
        facts([
          ['Schedule', h('span', { class: 'schedule' }, d.schedule || '—')],
          ['Timezone', d.timezone],
          [
            'Next run',
            d.nextRun
              ? h('span', { title: `logical date ${d.nextRun.logicalDate}` }, when(d.nextRun.runAfter))
              : d.isPaused
                ? 'paused'
                : '—',
          ],
          [
            'Latest run',
            d.latestRun
              ? h('a', { href: runHref(dagId, d.latestRun.runId) }, stateBadge(d.latestRun.state))
              : 'no runs',
          ],
          ['Owner', d.owner || '—'],
          ['Tags', (d.tags || []).length ? d.tags.map((t) => h('span', { class: 'tag' }, t)) : '—'],
          d.maxActiveRuns !== undefined ? ['Max active runs', String(d.maxActiveRuns)] : null,
          ['Backfill window', d.backfillWindow || '—'],
          ['File', h('code', null, d.file || '—')],
        ]),
      );
    }

    return {
      async refresh() {
        dag = await orGone(root, get(`/dags/${enc(dagId)}`));
        const { tasks, ...shown } = dag;
        renderInto(head, [shown.dagId, shown.isPaused, shown.description, canOperate()], () =>
          renderHead(dag),
        );
        renderInto(info, [shown, Math.floor(Date.now() / 60000)], () => renderInfo(dag));
        await view.refresh(dag, tasks || []);
      },
      destroy() {
        if (view.destroy) view.destroy();
      },
    };
  }

  /** The grid of a DAG's latest `limit` runs: { tasks, runs: [{ runId, state, tis }] }, newest first. */
  const loadGrid = (dagId, limit) => get(`/dags/${enc(dagId)}/grid${qs({ limit })}`);

  function gridTab(dagId, root, route) {
    let limit = Number(route.params.get('limit')) || 25;
    const gridEl = h('div', { class: 'grid-scroll' });
    const selection = panelSelection(gridEl, '.cell', (d, k) => d.run === k.runId && d.task === k.taskId);
    root.append(
      card(
        'Grid',
        select(
          [10, 25, 50, 100].map((n) => [String(n), `${n} runs`]),
          String(limit),
          (v) => {
            limit = Number(v);
            refreshPage();
          },
          'Runs shown',
        ),
        h('div', { class: 'card-sub' }, legend(TI_STATES.concat('none'))),
        gridEl,
      ),
    );

    const open = (runId, taskId) =>
      selection.open({ runId, taskId }, (onClose) =>
        openTaskInstance(dagId, runId, taskId, { onChange: () => refreshPage(), onClose }),
      );
    // #/dags/<dagId>/grid?run=<runId>&task=<taskId>: open that task instance.
    if (route.params.get('run') && route.params.get('task'))
      open(route.params.get('run'), route.params.get('task'));

    function renderGrid(grid, kinds) {
      const runs = (grid.runs || []).slice().reverse(); // oldest left, newest right
      if (runs.length === 0)
        return h(
          'div',
          { class: 'empty' },
          'No runs yet.',
          canOperate() ? ' Trigger one with the button above.' : '',
        );
      return h(
        'table',
        { class: 'grid', 'aria-label': 'Task instances by run' },
        h(
          'thead',
          null,
          h(
            'tr',
            { class: 'date-row' },
            h('th', { class: 'task-col' }),
            runs.map((r) => h('th', { title: r.logicalDate }, shortDate(r.logicalDate))),
          ),
          h(
            'tr',
            null,
            h('th', { class: 'task-col muted small' }, `${runs.length} run${runs.length > 1 ? 's' : ''}`),
            runs.map((r) =>
              h(
                'th',
                null,
                h('a', {
                  class: ['run-bar', stateClass(r.state)],
                  href: runHref(dagId, r.runId),
                  style: { '--c': `var(--st-${r.state})`, height: '26px' },
                  title: `${r.runId}\n${r.runType} · ${r.state}\nlogical date ${fmt(r.logicalDate)}`,
                  'aria-label': `run ${r.runId} ${r.state}`,
                  dataset: { run: r.runId, state: r.state },
                }),
                h('span', { class: 'run-type', title: r.runType }, RUN_TYPE_MARK[r.runType] ?? ''),
              ),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          grid.tasks.map((taskId) =>
            h(
              'tr',
              null,
              h(
                'th',
                { class: 'task-col', title: taskId },
                taskId,
                kinds.get(taskId) ? h('span', { class: 'kind' }, kinds.get(taskId)) : null,
              ),
              runs.map((r) => {
                const ti = (r.tis || {})[taskId];
                const state = ti ? ti.state || 'none' : 'none';
                return h(
                  'td',
                  null,
                  h('button', {
                    type: 'button',
                    class: ['cell', stateClass(state)],
                    style: state === 'none' ? null : { '--c': `var(--st-${state})` },
                    dataset: { run: r.runId, task: taskId, state },
                    'aria-label': `${taskId} in ${r.runId}: ${state}`,
                    title: `${taskId}\n${r.runId}\n${state}${ti && ti.tryNumber ? ` · try ${ti.tryNumber}` : ''}`,
                    onclick: () => open(r.runId, taskId),
                  }),
                );
              }),
            ),
          ),
        ),
      );
    }

    return {
      async refresh(dag, tasks) {
        const grid = await loadGrid(dagId, limit);
        const kinds = new Map(tasks.map((t) => [t.taskId, t.kind]));
        renderInto(gridEl, [grid, canOperate()], () => renderGrid(grid, kinds));
        selection.mark();
      },
    };
  }

  function graphTab(dagId, root) {
    let runId = null;
    const runSelect = h('span');
    const graphEl = h('div', { class: 'graph-wrap' });
    root.append(
      card('Graph', runSelect, h('div', { class: 'card-sub' }, legend(TI_STATES.concat('none'))), graphEl),
    );
    const selection = panelSelection(graphEl, '.g-node[data-task]', (d, taskId) => d.task === taskId);
    const open = (runId, taskId) =>
      selection.open(taskId, (onClose) =>
        openTaskInstance(dagId, runId, taskId, { onChange: () => refreshPage(), onClose }),
      );

    function render(tasks, run) {
      if (tasks.length === 0) return h('div', { class: 'empty' }, 'This DAG has no tasks.');
      const edges = [];
      const assetIds = new Set();
      for (const t of tasks) {
        for (const up of t.upstreams || []) edges.push({ from: up, to: t.taskId, kind: 'dep' });
        // The assets a task reads and produces, as small nodes beside it (as in the lineage).
        for (const name of t.inlets || []) {
          assetIds.add(name);
          edges.push({
            from: `asset:${name}`,
            to: t.taskId,
            kind: 'reads',
            title: `${t.taskId} reads ${name}`,
          });
        }
        for (const name of t.outlets || []) {
          assetIds.add(name);
          edges.push({
            from: t.taskId,
            to: `asset:${name}`,
            kind: 'outlet',
            title: `${t.taskId} produces ${name}`,
          });
        }
      }
      const assetNodes = [...assetIds].map((name) => ({
        id: `asset:${name}`,
        w: 170,
        h: 40,
        rx: 20,
        textX: 18,
        title: name,
        subtitle: 'asset',
        classes: ['asset', 'f-none', 'io'],
        label: `asset ${name}`,
        tooltip: `${name}\nopen its lineage and freshness`,
        data: { asset: name },
        onclick: () => (location.hash = assetHref(name)),
      }));
      return graphSvg({
        edges,
        nodes: assetNodes.concat(
          tasks.map((t) => {
            const ti = run && run.tis ? run.tis[t.taskId] : null;
            const state = (ti && ti.state) || 'none';
            const io = [
              (t.inlets || []).length ? `reads ${t.inlets.join(', ')}` : '',
              (t.outlets || []).length ? `produces ${t.outlets.join(', ')}` : '',
            ].filter(Boolean);
            return {
              id: t.taskId,
              w: 204,
              h: 50,
              title: t.taskId,
              subtitle: `${t.kind || 'task'} · ${state === 'none' ? 'no status' : state}${ti && ti.tryNumber > 1 ? ` · try ${ti.tryNumber}` : ''}`,
              classes: [stateClass(state)],
              color: state === 'none' ? null : `var(--st-${state})`,
              stripe: true,
              label: `${t.taskId}: ${state}`,
              tooltip: [`${t.taskId} (${t.kind})`, `state: ${state}`, ...io].join('\n'),
              data: { task: t.taskId, state },
              onclick: run ? () => open(run.runId, t.taskId) : null,
            };
          }),
        ),
      });
    }

    return {
      async refresh(dag, tasks) {
        const grid = await loadGrid(dagId, 25);
        const runs = grid.runs || [];
        const run = runs.find((r) => r.runId === runId) || runs[0] || null;
        renderInto(
          runSelect,
          runs.map((r) => [r.runId, r.state, run && run.runId]),
          () =>
            runs.length
              ? select(
                  runs.map((r) => [r.runId, `${r.runId} · ${r.state}`]),
                  run && run.runId,
                  (v) => {
                    runId = v;
                    refreshPage();
                  },
                  'Run shown',
                )
              : h('span', { class: 'muted small' }, 'no runs yet'),
        );
        renderInto(graphEl, [tasks, run], () => render(tasks, run));
        selection.mark();
      },
    };
  }

  /**
   * A paged table of runs: a DAG's (`/dags/<dagId>/runs`) or every DAG's (`/runs`, with `showDag`),
   * filtered by `filters` (query field → value, '' for any), each shown by `filter(...)` as a select.
   */
  function runList(path, { showDag = false, limit, empty, filters = {} }) {
    const list = h('div');
    let offset = 0;
    const go = (o) => {
      offset = o;
      refreshPage();
    };
    const headers = ['Run', 'Type', 'State', 'Logical date', 'Started', 'Ended', '#Duration', ''];
    const row = (r) =>
      h(
        'tr',
        { dataset: { run: r.runId, state: r.state } },
        showDag ? h('td', null, h('a', { href: dagHref(r.dagId) }, r.dagId)) : null,
        h('td', null, h('a', { class: 'mono', href: runHref(r.dagId, r.runId) }, r.runId)),
        h('td', null, h('span', { class: 'kind' }, r.runType)),
        h('td', null, stateBadge(r.state)),
        h('td', null, when(r.logicalDate, { relative: false })),
        h('td', null, when(r.startedAt)),
        h('td', null, when(r.endedAt, { relative: false })),
        h('td', { class: 'num' }, duration(r.startedAt, r.endedAt)),
        h(
          'td',
          { class: 'num' },
          canOperate() && (r.state === 'success' || r.state === 'failed')
            ? button('Rerun', () => rerunRun(r.dagId, r.runId, refreshPage), {
                small: true,
                iconName: 'refresh',
              })
            : null,
        ),
      );
    return {
      list,
      /** A select for the filter `name`: any (`anyText`) or one of `values`; a change goes to page 1. */
      filter: (name, anyText, values, label) =>
        anySelect(
          anyText,
          values,
          filters[name] || '',
          (v) => {
            filters[name] = v;
            go(0);
          },
          label,
        ),
      async refresh() {
        const { items, total } = await get(`${path}${qs({ ...filters, limit, offset })}`);
        renderInto(list, [items, total, offset, canOperate()], () => [
          table(showDag ? ['DAG', ...headers] : headers, items.map(row), { empty }),
          pager(total, limit, offset, go),
        ]);
      },
    };
  }

  function runsTab(dagId, root) {
    const runs = runList(`/dags/${enc(dagId)}/runs`, { limit: 25, empty: 'No runs match.' });
    const filters = h(
      'div',
      { class: 'row' },
      runs.filter('state', 'Any state', RUN_STATES, 'Run state'),
      runs.filter('runType', 'Any run type', RUN_TYPES, 'Run type'),
    );
    root.append(card('Runs', filters, runs.list));
    return { refresh: runs.refresh };
  }

  /** The backfills table: one DAG's, or every DAG's (`showDag`), filtered by `filters` (query field → value). */
  function backfillList({ showDag = false, limit, empty, filters }) {
    const list = h('div');
    const headers = [
      'Id',
      ...(showDag ? ['DAG'] : []),
      'Range',
      'Reprocess',
      '#Max active',
      'State',
      'Progress',
      'Created',
      '',
    ];
    const cancel = (b) =>
      modal({
        title: `Cancel backfill #${b.id}?`,
        confirmLabel: 'Cancel backfill',
        danger: true,
        body: h('p', null, 'Runs not started yet are not created; runs already running finish.'),
        onConfirm: async () => {
          await api('POST', `/backfills/${enc(b.id)}/cancel`);
          toast(`Backfill #${b.id} cancelled`);
        },
      }).then((done) => done && refreshPage());
    const row = (b) =>
      h(
        'tr',
        {
          class: 'clickable',
          dataset: { backfill: b.id, state: b.state },
          onclick: (event) => {
            if (event.target.closest('a, button')) return;
            openBackfill(b.id);
          },
        },
        h('td', { class: 'mono' }, `#${b.id}`),
        showDag ? h('td', null, h('a', { href: dagHref(b.dagId, 'backfills') }, b.dagId)) : null,
        h(
          'td',
          null,
          h(
            'span',
            { class: 'when' },
            fmt(b.from, { seconds: false }),
            h('span', { class: 'rel' }, `→ ${fmt(b.to, { seconds: false })}`),
          ),
        ),
        h('td', null, b.reprocess, b.reverse ? h('span', { class: 'tag' }, 'reverse') : null),
        h('td', { class: 'num' }, String(b.maxActiveRuns)),
        h('td', null, stateBadge(b.state)),
        h('td', null, progressBar(b.progress)),
        h('td', null, when(b.createdAt)),
        h(
          'td',
          { class: 'num' },
          canOperate() && b.state === 'running'
            ? button('Cancel', () => cancel(b), { small: true, iconName: 'stop' })
            : null,
        ),
      );
    return {
      list,
      async refresh() {
        const { items } = await get(`/backfills${qs({ ...filters, limit })}`);
        renderInto(list, [items, canOperate()], () => table(headers, items.map(row), { empty }));
      },
    };
  }

  function openBackfill(id) {
    openPanel(`Backfill #${id}`, null, null, (body) => {
      const [info, dates] = panelSections(body, 'Logical dates');
      return {
        async refresh() {
          const b = await get(`/backfills/${enc(id)}`);
          renderInto(info, b, () => [
            facts([
              ['DAG', h('a', { href: dagHref(b.dagId) }, b.dagId)],
              ['State', stateBadge(b.state)],
              ['From', fmt(b.from)],
              ['To', fmt(b.to)],
              ['Reprocess', b.reprocess],
              ['Max active runs', String(b.maxActiveRuns)],
              b.reverse ? ['Order', 'newest first'] : null,
              b.completedAt ? ['Completed', when(b.completedAt)] : null,
              b.cancelledAt ? ['Cancelled', when(b.cancelledAt)] : null,
            ]),
            h('div', { class: 'card-body' }, progressBar(b.progress)),
          ]);
          renderInto(dates, b.dates, () =>
            table(
              ['Logical date', 'Action', 'State'],
              (b.dates || []).map((d) => {
                // A date's run exists once it runs, ran, or was skipped because it existed already.
                const hasRun = d.runId && ['running', 'done', 'failed', 'skipped'].includes(d.state);
                const badge = stateBadge(d.state || 'queued');
                return h(
                  'tr',
                  { dataset: { date: d.logicalDate, state: d.state } },
                  h('td', null, fmt(d.logicalDate)),
                  h('td', { title: d.reason || '' }, d.action),
                  h(
                    'td',
                    null,
                    hasRun ? h('a', { href: runHref(b.dagId, d.runId), title: d.runId }, badge) : badge,
                  ),
                );
              }),
              { empty: 'No dates.' },
            ),
          );
        },
      };
    });
  }

  function backfillsTab(dagId, root) {
    const backfills = backfillList({ limit: 50, empty: 'No backfills of this DAG yet.', filters: { dagId } });
    const previewEl = h('div');
    const today = new Date();
    const day = (offsetDays) => new Date(today.getTime() - offsetDays * 86400000).toISOString().slice(0, 10);
    const from = h('input', { type: 'date', name: 'from', value: day(3), 'aria-label': 'From' });
    const to = h('input', { type: 'date', name: 'to', value: day(1), 'aria-label': 'To' });
    const reprocess = select(
      [
        ['none', 'fill gaps only'],
        ['failed', 'rerun failed'],
        ['all', 'rerun all'],
      ],
      'none',
      () => undefined,
      'Reprocess',
    );
    reprocess.name = 'reprocess';
    const maxActive = h('input', {
      type: 'number',
      name: 'maxActiveRuns',
      min: 1,
      max: 100,
      value: '4',
      style: { width: '80px' },
    });
    const reverse = h('input', { type: 'checkbox', name: 'reverse' });
    const request = (dryRun) => ({
      // Plain days: the API reads them in the DAG's timezone, as the CLI's --from/--to are.
      from: from.value,
      to: to.value,
      reprocess: reprocess.value,
      maxActiveRuns: Number(maxActive.value),
      reverse: reverse.checked,
      dryRun,
    });

    async function preview() {
      const result = await act(() => api('POST', `/dags/${enc(dagId)}/backfills`, request(true)));
      if (!result) return;
      const dates = result.dates || [];
      previewEl.replaceChildren(
        h(
          'div',
          { class: 'card-body muted small' },
          dates.length
            ? `${dates.length} logical date${dates.length > 1 ? 's' : ''}:`
            : 'No logical date in this range.',
        ),
        h(
          'ul',
          { class: 'preview-list' },
          dates.map((d) =>
            h(
              'li',
              { class: d.action, title: d.reason || d.action },
              `${fmt(d.logicalDate, { seconds: false })} · ${d.action}`,
            ),
          ),
        ),
      );
    }

    async function create() {
      const result = await act(() => api('POST', `/dags/${enc(dagId)}/backfills`, request(false)));
      if (!result) return;
      previewEl.replaceChildren();
      toast(`Backfill #${result.id} created`);
      refreshPage();
    }

    if (canOperate()) {
      root.append(
        card(
          'New backfill',
          h('span', { class: 'muted small' }, 'days in the DAG’s timezone, both ends included'),
          h(
            'form',
            {
              class: 'backfill-form',
              'aria-label': 'New backfill',
              onsubmit: (event) => (event.preventDefault(), create()),
            },
            h('label', { class: 'field' }, 'From', from),
            h('label', { class: 'field' }, 'To', to),
            h('label', { class: 'field' }, 'Reprocess', reprocess),
            h('label', { class: 'field' }, 'Max active runs', maxActive),
            h('label', { class: 'check' }, reverse, 'newest first'),
            h('span', { class: 'spacer' }),
            button('Preview', preview),
            h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create backfill'),
          ),
          previewEl,
        ),
      );
    }
    root.append(card('Backfills', null, backfills.list));
    return { refresh: backfills.refresh };
  }

  function backfillsPage(route, root) {
    const filters = { state: route.params.get('state') || '' };
    const backfills = backfillList({ showDag: true, limit: 100, empty: 'No backfills yet.', filters });
    root.append(
      pageHead(
        'Backfills',
        'Past ranges re-run on request, with their progress. Create one from a DAG’s Backfills tab.',
        anySelect(
          'Any state',
          ['running', 'completed', 'cancelled'],
          filters.state,
          (v) => {
            filters.state = v;
            refreshPage();
          },
          'Backfill state',
        ),
      ),
      card(null, null, backfills.list),
    );
    // #/backfills?backfill=<id> (a run's "Backfill" link): open that backfill.
    const open = route.params.get('backfill');
    if (open) openBackfill(open);
    return { refresh: backfills.refresh };
  }

  function runPage(route, root) {
    const { dagId, runId } = route;
    const head = h('div');
    const info = h('div');
    const tis = h('div');
    const side = h('div', { class: 'grid-2' });
    const events = h('div');
    root.append(head, info, tis, side, events);
    const selection = panelSelection(tis, 'tr[data-task]', (d, taskId) => d.task === taskId);
    const openTi = (taskId) =>
      selection.open(taskId, (onClose) =>
        openTaskInstance(dagId, runId, taskId, { onChange: () => refreshPage(), onClose }),
      );

    return {
      async refresh() {
        const run = await orGone(root, get(`/dags/${enc(dagId)}/runs/${enc(runId)}`));
        const instances = run.taskInstances || [];
        const failed = instances.filter((t) => t.state === 'failed').map((t) => t.taskId);
        renderInto(head, [run.state, canOperate(), failed], () =>
          h(
            'div',
            { class: 'page-head' },
            h(
              'div',
              null,
              h(
                'div',
                { class: 'crumbs' },
                h('a', { href: '#/dags' }, 'DAGs'),
                ' / ',
                h('a', { href: dagHref(dagId) }, dagId),
                ' / ',
                h('a', { href: dagHref(dagId, 'runs') }, 'runs'),
                ' /',
              ),
              h(
                'div',
                { class: 'row' },
                h('h1', { class: 'mono-title' }, runId),
                stateBadge(run.state),
                h('span', { class: 'kind' }, run.runType),
              ),
            ),
            canOperate()
              ? h(
                  'div',
                  { class: 'row' },
                  failed.length
                    ? button('Clear failed', () => clearFailed(dagId, runId, failed, refreshPage), {
                        iconName: 'eraser',
                        title:
                          'Clear the failed task instances and their downstream: the run resumes from there',
                      })
                    : null,
                  run.state === 'success' || run.state === 'failed'
                    ? button('Rerun', () => rerunRun(dagId, runId, refreshPage), { iconName: 'refresh' })
                    : null,
                )
              : null,
          ),
        );
        renderInto(
          info,
          [
            run.state,
            run.logicalDate,
            run.dataInterval,
            run.queuedAt,
            run.startedAt,
            run.endedAt,
            run.backfillId,
            run.note,
          ],
          () =>
            card(
              null,
              null,
              facts([
                ['Logical date', fmt(run.logicalDate)],
                [
                  'Data interval',
                  run.dataInterval ? `${fmt(run.dataInterval.start)} → ${fmt(run.dataInterval.end)}` : '—',
                ],
                ['Queued', when(run.queuedAt)],
                ['Started', when(run.startedAt)],
                ['Ended', when(run.endedAt)],
                ['Duration', duration(run.startedAt, run.endedAt) || '—'],
                run.backfillId
                  ? [
                      'Backfill',
                      h('a', { href: `#/backfills?backfill=${enc(run.backfillId)}` }, `#${run.backfillId}`),
                    ]
                  : null,
                run.note ? ['Note', run.note] : null,
              ]),
            ),
        );
        renderInto(tis, instances, () =>
          card(
            'Task instances',
            legend(['success', 'failed', 'running', 'queued', 'up_for_retry', 'upstream_failed', 'skipped']),
            table(
              ['Task', 'State', '#Try', 'Worker', 'Started', 'Ended', '#Duration', 'Tries'],
              instances.map((t) =>
                h(
                  'tr',
                  {
                    class: 'clickable',
                    dataset: { task: t.taskId, state: t.state },
                    onclick: () => openTi(t.taskId),
                  },
                  h('td', null, h('strong', null, t.taskId)),
                  h('td', null, stateBadge(t.state)),
                  h('td', { class: 'num' }, String(t.tryNumber)),
                  h('td', { class: 'mono small' }, t.worker || ''),
                  h('td', null, when(t.startedAt)),
                  h('td', null, when(t.endedAt, { relative: false })),
                  h('td', { class: 'num' }, duration(t.startedAt, t.endedAt)),
                  h(
                    'td',
                    null,
                    (t.tries || []).map((x) =>
                      h('span', {
                        class: ['swatch', stateClass(x.state)],
                        title: `try ${x.tryNumber}: ${x.state}${x.error ? ` — ${x.error}` : ''}`,
                        style: { '--c': `var(--st-${x.state})`, 'margin-right': '3px' },
                      }),
                    ),
                  ),
                ),
              ),
              { empty: 'No task instances yet.' },
            ),
          ),
        );
        selection.mark();
        const freshness = run.inputFreshness || [];
        renderInto(side, [run.conf, freshness], () => [
          card(
            'Configuration',
            null,
            h(
              'div',
              { class: 'card-body' },
              h(
                'pre',
                { class: 'json', 'aria-label': 'Run configuration' },
                JSON.stringify(run.conf ?? {}, null, 2),
              ),
            ),
          ),
          card(
            'Input freshness',
            h('span', { class: 'muted small' }, 'at run start'),
            freshness.length === 0
              ? h('div', { class: 'empty' }, 'This run read no assets.')
              : table(
                  ['Asset', 'Status', 'Partition', 'Contract'],
                  freshness.map((f) =>
                    h(
                      'tr',
                      null,
                      h('td', null, assetLink(f.asset)),
                      h(
                        'td',
                        null,
                        freshnessBadge(f.status),
                        f.lateByMs
                          ? h('span', { class: 'muted small' }, ` late by ${span(f.lateByMs)}`)
                          : null,
                      ),
                      h('td', null, f.partition || '—'),
                      h('td', { class: 'small' }, f.contract || 'none'),
                    ),
                  ),
                ),
          ),
        ]);
        const triggering = run.triggeringAssetEvents || [];
        renderInto(events, triggering, () =>
          triggering.length === 0
            ? null
            : card(
                'Triggering asset events',
                null,
                table(
                  ['Asset', 'Partition', 'From', 'At'],
                  triggering.map((e) =>
                    h(
                      'tr',
                      null,
                      h('td', null, assetLink(e.asset)),
                      h('td', null, e.partition || '—'),
                      h(
                        'td',
                        null,
                        e.source
                          ? h(
                              'a',
                              { href: runHref(e.source.dagId, e.source.runId) },
                              `${e.source.dagId}.${e.source.taskId}`,
                            )
                          : 'outside producer',
                      ),
                      h('td', null, when(e.createdAt)),
                    ),
                  ),
                ),
              ),
        );
      },
    };
  }

  function allRunsPage(route, root) {
    const runs = runList('/runs', {
      showDag: true,
      limit: 50,
      empty: 'No runs yet.',
      filters: { state: route.params.get('state') || '' },
    });
    root.append(
      pageHead(
        'Runs',
        'Every DAG’s runs, newest first.',
        runs.filter('state', 'Any state', RUN_STATES, 'Run state'),
      ),
      card(null, null, runs.list),
    );
    return { refresh: runs.refresh };
  }

  function assetsPage(route, root) {
    const graphEl = h('div', { class: 'graph-wrap' });
    const selection = panelSelection(graphEl, '.g-node.asset', (d, name) => d.asset === name);
    const list = h('div');
    root.append(
      pageHead(
        'Assets',
        'Lineage: DAGs produce assets; assets trigger and feed DAGs. Each asset shows where it stands against its freshness contract.',
      ),
      card(
        'Lineage',
        h(
          'div',
          { class: 'row' },
          legend(FRESHNESS.concat('none'), 'f'),
          h(
            'span',
            { class: 'legend' },
            h('span', { class: 'legend-item' }, '— produces'),
            h('span', { class: 'legend-item' }, '- - triggers'),
            h('span', { class: 'legend-item' }, '··· reads'),
          ),
        ),
        graphEl,
      ),
      card('All assets', null, list),
    );

    const selectAsset = (name) => selection.open(name, (onClose) => openAsset(name, { onClose }));

    function renderLineage(lineage, byName) {
      const nodes = lineage.nodes || [];
      if (nodes.length === 0)
        return h('div', { class: 'empty' }, 'No assets yet: tasks declare them as outlets and inlets.');
      return graphSvg({
        edges: (lineage.edges || []).map((e) => ({
          ...e,
          title: `${e.kind}${e.tasks && e.tasks.length ? ` (${e.tasks.join(', ')})` : ''}`,
        })),
        nodes: nodes.map((n) => {
          if (n.kind === 'dag') {
            return {
              id: n.id,
              w: 196,
              h: 50,
              rx: 6,
              title: n.name,
              subtitle: n.isPaused ? `paused · ${n.schedule || ''}` : n.schedule || 'DAG',
              classes: ['dag', n.isPaused && 'paused'],
              label: `DAG ${n.name}`,
              tooltip: `DAG ${n.name}\n${n.schedule || ''}${n.isPaused ? '\npaused' : ''}`,
              data: { dag: n.name },
              onclick: () => (location.hash = dagHref(n.name)),
            };
          }
          const f = n.freshness;
          const status = f ? f.status : null;
          const asset = byName.get(n.name);
          const detail = status
            ? `${status}${f.partition ? ` · ${f.partition}` : ''}${f.lateByMs ? ` · late ${span(f.lateByMs)}` : ''}`
            : asset && asset.lastEventAt
              ? `no contract · updated ${rel(asset.lastEventAt)}`
              : 'no contract';
          return {
            id: n.id,
            w: 196,
            h: 50,
            rx: 25,
            textX: 20,
            title: n.name,
            subtitle: detail,
            classes: ['asset', `f-${status || 'none'}`],
            color: status ? `var(--fr-${status})` : null,
            label: `asset ${n.name}: ${status || 'no contract'}`,
            tooltip: `${n.name}\n${asset && asset.contractText ? asset.contractText : 'no freshness contract'}\nstatus: ${status || 'n/a'}`,
            data: { asset: n.name, freshness: status || 'none' },
            onclick: () => selectAsset(n.name),
          };
        }),
      });
    }

    // #/assets?asset=<name> (an asset's link elsewhere): open that asset.
    if (route.params.get('asset')) selectAsset(route.params.get('asset'));

    return {
      async refresh() {
        const [lineage, { items }] = await Promise.all([get('/assets/lineage'), get('/assets?limit=500')]);
        const byName = new Map(items.map((a) => [a.name, a]));
        renderInto(graphEl, [lineage, items.map((a) => a.lastEventAt)], () => renderLineage(lineage, byName));
        selection.mark();
        renderInto(list, items, () =>
          table(
            ['Asset', 'Freshness', 'Contract', 'Produced by', 'Consumed by', 'Last event'],
            items.map((a) => {
              const f = a.freshnessStatus;
              return h(
                'tr',
                {
                  class: 'clickable',
                  dataset: { asset: a.name },
                  onclick: (event) => !event.target.closest('a') && selectAsset(a.name),
                },
                h(
                  'td',
                  null,
                  h('strong', null, a.name),
                  a.description ? h('div', { class: 'dag-desc' }, a.description) : null,
                ),
                h(
                  'td',
                  null,
                  freshnessBadge(f && f.status),
                  f && f.partition ? h('div', { class: 'muted small' }, f.partition) : null,
                ),
                h('td', { class: 'small' }, a.contractText || h('span', { class: 'faint' }, 'none')),
                h('td', null, dagLinks(a.producers || [])),
                h('td', null, dagLinks(a.consumers || [])),
                h('td', null, when(a.lastEventAt)),
              );
            }),
            { empty: 'No assets yet.' },
          ),
        );
      },
    };
  }

  function notFoundPage(route, root) {
    root.append(
      h(
        'div',
        { class: 'empty' },
        h('h1', null, 'Not found'),
        h('p', null, `No page at ${location.hash}. `, h('a', { href: '#/dags' }, 'Back to the DAGs')),
      ),
    );
    return {};
  }

  // ---------------------------------------------------------------- router

  function parseRoute() {
    const hash = location.hash.replace(/^#/, '') || '/dags';
    const [path, query = ''] = hash.split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const params = new URLSearchParams(query);
    const [first, dagId, third, runId] = parts;
    if (first === 'login') return { name: 'login', params };
    if (first === 'assets') return { name: 'assets', nav: 'assets', params };
    if (first === 'backfills') return { name: 'backfills', nav: 'backfills', params };
    if (first === 'runs') return { name: 'runs', nav: 'runs', params };
    if (first === 'dags' && !dagId) return { name: 'dags', nav: 'dags', params };
    if (first === 'dags' && third === 'runs' && runId)
      return { name: 'run', nav: 'dags', dagId, runId, params };
    if (first === 'dags' && (!third || ['grid', 'graph', 'runs', 'backfills'].includes(third))) {
      return { name: 'dag', nav: 'dags', dagId, tab: third || 'grid', params };
    }
    return { name: 'notFound', params };
  }

  const PAGES = {
    login: loginPage,
    dags: dagsPage,
    dag: dagPage,
    run: runPage,
    runs: allRunsPage,
    assets: assetsPage,
    backfills: backfillsPage,
    notFound: notFoundPage,
  };

  const main = $('#app');
  let page = null;
  let refreshing = false;
  let refreshAgain = false;
  let renderSeq = 0;

  async function render() {
    const seq = ++renderSeq;
    const route = parseRoute();
    closePanel();
    if (page && page.destroy) page.destroy();
    page = null;
    if (route.name !== 'login' && !auth.token) {
      location.hash = `#/login${location.hash && location.hash !== '#/' ? `?next=${enc(location.hash)}` : ''}`;
      return;
    }
    if (route.name !== 'login' && !auth.me) {
      try {
        if (!(await loadMe())) return;
      } catch (error) {
        showError(error);
      }
      if (seq !== renderSeq) return;
    }
    renderChrome(route.nav || '');
    document.title = route.dagId ? `${route.runId || route.dagId} · Tributary` : 'Tributary';
    main.replaceChildren();
    main.dataset.page = route.name;
    page = PAGES[route.name](route, main);
    await refreshPage();
  }

  /** Refreshes the page's data; a call while a refresh is under way runs once more after it. */
  async function refreshPage() {
    if (!page || !page.refresh) return;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    refreshAgain = false;
    const current = page;
    try {
      await current.refresh();
      if (page === current) {
        clearError('poll');
        setLive('ok');
      }
    } catch (error) {
      if (page === current) {
        showError(error, 'poll');
        setLive(error instanceof ApiError && error.status === 0 ? 'offline' : 'error');
      }
    } finally {
      refreshing = false;
      main.dataset.loaded = 'true';
    }
    if (refreshAgain) await refreshPage();
  }

  window.addEventListener('hashchange', render);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      refreshPage();
      refreshPanel();
    } else setLive('paused');
  });
  setInterval(() => {
    if (document.visibilityState !== 'visible' || !modalRoot.hidden) return;
    refreshPage();
    refreshPanel();
  }, POLL_MS);

  render();
})();
