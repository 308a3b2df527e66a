// Tributary's web console: a single page over the Kafka Connect REST API of the worker that
// serves it. Views (by URL hash): the connectors (#/), one connector (#/connectors/NAME) and
// the new-connector form (#/new). Every text from the worker is set as text, never as HTML.
'use strict';

const readOnly = document.body.dataset.readOnly === 'true';
const view = document.getElementById('view');
const REFRESH_MS = 2000;
const SPARK_POINTS = 60;
let refreshTimer = null;
// Which view is showing: a refresh started for another view renders nothing.
let shown = 0;
// Per "connector/task": the last counter reading and the records/s points drawn.
const throughput = new Map();

// ---- helpers ----------------------------------------------------------------------------

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (!response.ok) {
    throw new Error((data && data.message) || `${response.status} ${response.statusText}`);
  }
  return data;
}

const enc = encodeURIComponent;
const connectorPath = (name, rest) => `/connectors/${enc(name)}${rest || ''}`;

function stateBadge(state, id) {
  return el('span', { class: `state ${state || 'UNASSIGNED'}`, id }, state || 'UNKNOWN');
}

function notice(text, isError) {
  return el('div', { class: isError ? 'notice error' : 'notice', role: 'status' }, text);
}

function confirmAction(text) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

// Runs `refresh` now and every REFRESH_MS while view `mine` is showing; `refresh` gets a
// function telling whether its view still shows.
async function keepFresh(refresh) {
  const mine = ++shown;
  const current = () => mine === shown;
  const run = async () => {
    await refresh(current);
    if (current()) refreshTimer = setTimeout(run, REFRESH_MS);
  };
  await run();
}

// ---- metrics ----------------------------------------------------------------------------

// Prometheus text: one sample per line, `name{label="value",...} number`.
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const pair of (match[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2].replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

// Reads every worker's metrics (through the serving worker) and updates the throughput
// points; returns the lag per task and the dead-letter records per connector.
async function sampleMetrics(workers) {
  const lag = new Map();
  const deadLetters = new Map();
  const progress = new Map();
  const counters = new Map();
  const now = Date.now();
  await Promise.all([...workers].filter(Boolean).map(async (worker) => {
    let text;
    try {
      const response = await fetch(`/ui/metrics?worker=${enc(worker)}`, { credentials: 'same-origin' });
      if (!response.ok) return;
      text = await response.text();
    } catch (e) {
      return;
    }
    for (const { name, labels, value } of parseMetrics(text)) {
      const key = `${labels.connector}/${labels.task}`;
      if (name === 'tributary_source_topic_records_total' || name === 'tributary_sink_records_put_total') {
        counters.set(key, (counters.get(key) || 0) + value);
      } else if (name === 'tributary_sink_consumer_lag_records') {
        lag.set(key, value);
      } else if (name === 'tributary_dlq_records_total') {
        deadLetters.set(labels.connector, (deadLetters.get(labels.connector) || 0) + value);
      } else if (name === 'tributary_progress_done' || name === 'tributary_progress_total') {
        const entry = progress.get(key) || { work: labels.work };
        entry[name === 'tributary_progress_done' ? 'done' : 'total'] = value;
        progress.set(key, entry);
      }
    }
  }));
  for (const [key, value] of counters) {
    const entry = throughput.get(key) || { points: [] };
    if (entry.last && now > entry.last.time) {
      const rate = Math.max(0, (value - entry.last.value) / ((now - entry.last.time) / 1000));
      entry.points.push(rate);
      if (entry.points.length > SPARK_POINTS) entry.points.shift();
    }
    entry.last = { time: now, value };
    throughput.set(key, entry);
  }
  return { lag, deadLetters, progress };
}

// `snapshot: 1200 of 5000 (24%)`, or `catch-up: done (6000)` once finished.
function progressText(entry) {
  if (!entry) return '';
  const { work, done = 0, total = -1 } = entry;
  if (total >= 0 && done >= total) return `${work}: done (${done})`;
  if (total > 0) return `${work}: ${done} of ${total} (${Math.floor((done / total) * 100)}%)`;
  return `${work}: ${done}`;
}

function rateOf(keys) {
  let total = 0;
  let points = [];
  for (const key of keys) {
    const entry = throughput.get(key);
    if (!entry) continue;
    total += entry.points.length ? entry.points[entry.points.length - 1] : 0;
    points = points.length
      ? points.map((p, i) => p + (entry.points[entry.points.length - points.length + i] || 0))
      : entry.points.slice();
  }
  return { total, points };
}

function sparkline(points) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${SPARK_POINTS} 24`);
  svg.setAttribute('preserveAspectRatio', 'none');
  if (points.length > 1) {
    const max = Math.max(...points, 1);
    const step = SPARK_POINTS / (points.length - 1);
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', points.map((p, i) => `${(i * step).toFixed(1)},${(23 - (p / max) * 22).toFixed(1)}`).join(' '));
    svg.append(line);
  }
  return svg;
}

function throughputCell(keys) {
  const { total, points } = rateOf(keys);
  return el('td', { class: 'num' }, sparkline(points), ` ${total.toFixed(total < 10 ? 1 : 0)}/s`);
}

function workersOf(statuses) {
  const workers = new Set();
  for (const status of statuses) {
    if (!status) continue;
    workers.add(status.connector && status.connector.worker_id);
    for (const task of status.tasks || []) workers.add(task.worker_id);
  }
  return workers;
}

// ---- the connectors ---------------------------------------------------------------------

function showList() {
  return keepFresh(async (current) => {
    let listing;
    try {
      listing = await api('GET', '/connectors?expand=status&expand=info');
    } catch (e) {
      if (current()) view.replaceChildren(notice(`Cannot list the connectors: ${e.message}`, true));
      return;
    }
    const names = Object.keys(listing).sort();
    const { lag, deadLetters } = await sampleMetrics(workersOf(names.map((n) => listing[n].status)));
    if (!current()) return;
    const rows = names.map((name) => {
      const { info, status } = listing[name];
      const tasks = (status && status.tasks) || [];
      const running = tasks.filter((t) => t.state === 'RUNNING').length;
      const failed = tasks.filter((t) => t.state === 'FAILED').length;
      const keys = tasks.map((t) => `${name}/${t.id}`);
      const taskLag = keys.reduce((sum, key) => sum + (lag.get(key) || 0), 0);
      return el('tr', { 'data-connector': name },
        el('td', {}, el('a', { href: `#/connectors/${enc(name)}` }, name)),
        el('td', {}, info.type),
        el('td', { class: 'muted', title: info.config['connector.class'] }, String(info.config['connector.class']).split('.').pop()),
        el('td', {}, stateBadge(status && status.connector.state)),
        el('td', { class: 'num tasks' }, `${running}/${tasks.length}`,
          failed ? el('span', { class: 'failed-count' }, `${failed} failed`) : null),
        el('td', { class: 'muted' }, status && status.connector.worker_id),
        throughputCell(keys),
        el('td', { class: 'num' }, info.type === 'sink' ? String(taskLag) : ''),
        el('td', { class: 'num' }, String(deadLetters.get(name) || 0)));
    });
    const table = el('table', { id: 'connectors-table' },
      el('thead', {}, el('tr', {}, ['Name', 'Type', 'Class', 'State', 'Tasks', 'Worker', 'Records/s', 'Lag', 'Dead letters']
        .map((title) => el('th', {}, title)))),
      el('tbody', {}, rows));
    view.replaceChildren(
      el('h1', {}, 'Connectors', el('a', { href: '#/new', class: 'write' }, el('button', { class: 'primary', tabindex: -1 }, 'New connector'))),
      el('section', { class: 'panel' }, names.length ? table : el('p', { class: 'muted', id: 'no-connectors' }, 'No connectors yet.')));
  });
}

// ---- one connector ----------------------------------------------------------------------

const ACTIONS = [
  { id: 'pause', label: 'Pause', method: 'PUT', path: '/pause', ask: 'Pause connector {name}? Its tasks stay assigned and stop moving records.' },
  { id: 'resume', label: 'Resume', method: 'PUT', path: '/resume', ask: 'Resume connector {name}?' },
  { id: 'stop', label: 'Stop', method: 'PUT', path: '/stop', ask: 'Stop connector {name}? Its tasks are shut down until it is resumed.' },
  { id: 'restart', label: 'Restart', method: 'POST', path: '/restart?includeTasks=true&onlyFailed=false', ask: 'Restart connector {name} and all its tasks?' },
  { id: 'restart-failed', label: 'Restart failed tasks', method: 'POST', path: '/restart?includeTasks=true&onlyFailed=true', ask: 'Restart the failed tasks of {name}?' },
  { id: 'reset-offsets', label: 'Reset offsets', method: 'DELETE', path: '/offsets', ask: 'Reset every offset of {name}? It must be stopped; when resumed it starts over.', danger: true },
  { id: 'delete', label: 'Delete', method: 'DELETE', path: '', ask: 'Delete connector {name}? Its config is removed from the cluster.', danger: true },
];

function showConnector(name) {
  let message = null;
  let render = null;
  const act = async (action) => {
    if (!(await confirmAction(action.ask.replace('{name}', name)))) return;
    try {
      const answer = await api(action.method, connectorPath(name, action.path));
      if (action.id === 'delete') {
        location.hash = '#/';
        return;
      }
      message = notice((answer && answer.message) || `${action.label}: done.`, false);
    } catch (e) {
      message = notice(`${action.label} failed: ${e.message}`, true);
    }
    if (render) await render(() => true);
  };
  render = async (current) => {
    let info;
    let status;
    try {
      [info, status] = await Promise.all([api('GET', connectorPath(name)), api('GET', connectorPath(name, '/status'))]);
    } catch (e) {
      if (current()) view.replaceChildren(el('h1', {}, name), notice(e.message, true), el('a', { href: '#/' }, 'All connectors'));
      return;
    }
    const [topics, offsets] = await Promise.all([
      api('GET', connectorPath(name, '/topics')).catch(() => null),
      api('GET', connectorPath(name, '/offsets')).catch(() => null),
    ]);
    const { lag, progress } = await sampleMetrics(workersOf([status]));
    if (!current()) return;
    const tasks = status.tasks || [];
    const parts = [
      el('h1', {}, name, stateBadge(status.connector.state, 'connector-state'), el('span', { class: 'muted' }, `${info.type} · ${info.config['connector.class']} · ${status.connector.worker_id}`)),
    ];
    if (message) parts.push(message);
    parts.push(el('div', { class: 'actions write' }, ACTIONS.map((action) =>
      el('button', { 'data-action': action.id, class: action.danger ? 'danger' : '', onclick: () => act(action) }, action.label))));
    if (status.connector.trace) parts.push(el('pre', { class: 'trace', id: 'connector-trace' }, status.connector.trace));
    parts.push(el('section', { class: 'panel' }, el('h2', {}, 'Tasks'),
      el('table', { id: 'tasks-table' },
        el('thead', {}, el('tr', {}, ['Task', 'State', 'Worker', 'Records/s', 'Lag', 'Progress'].map((t) => el('th', {}, t)))),
        el('tbody', {}, tasks.map((task) => el('tr', { 'data-task': task.id },
          el('td', {}, String(task.id)),
          el('td', {}, stateBadge(task.state)),
          el('td', { class: 'muted' }, task.worker_id),
          throughputCell([`${name}/${task.id}`]),
          el('td', { class: 'num' }, info.type === 'sink' ? String(lag.get(`${name}/${task.id}`) || 0) : ''),
          el('td', { class: 'progress' }, progressText(progress.get(`${name}/${task.id}`))))))),
      tasks.filter((t) => t.trace).map((task) => [el('h2', {}, `Trace of task ${task.id}`), el('pre', { class: 'trace', 'data-task': task.id }, task.trace)])));
    const keys = Object.keys(info.config).sort();
    parts.push(el('section', { class: 'panel' }, el('h2', {}, 'Config'),
      el('table', { id: 'config-table' }, el('tbody', {}, keys.map((key) => el('tr', {}, el('td', {}, key), el('td', {}, info.config[key])))))));
    const topicNames = topics && topics[name] ? topics[name].topics : [];
    parts.push(el('section', { class: 'panel' }, el('h2', {}, 'Topics'), el('p', {}, topicNames.length ? topicNames.join(', ') : el('span', { class: 'muted' }, 'none recorded'))));
    const entries = (offsets && offsets.offsets) || [];
    parts.push(el('section', { class: 'panel' }, el('h2', {}, 'Offsets'),
      entries.length
        ? el('table', { id: 'offsets-table' },
          el('thead', {}, el('tr', {}, el('th', {}, 'Partition'), el('th', {}, 'Offset'))),
          el('tbody', {}, entries.map((o) => el('tr', {}, el('td', {}, JSON.stringify(o.partition)), el('td', {}, JSON.stringify(o.offset))))))
        : el('p', { class: 'muted' }, 'none committed')));
    view.replaceChildren(...parts);
  };
  return keepFresh(render);
}

// ---- a new connector --------------------------------------------------------------------

// The config groups every connector has (Apache's names), shown after the plugin's own.
const COMMON_GROUPS = new Set(['Common', 'Transforms', 'Predicates', 'Error Handling', 'Topic Creation',
  'Exactly Once Support', 'Offsets']);

async function showNew() {
  shown++;
  if (readOnly) {
    view.replaceChildren(notice('This console is read-only.', true));
    return;
  }
  let plugins;
  try {
    plugins = await api('GET', '/connector-plugins');
  } catch (e) {
    view.replaceChildren(notice(`Cannot list the plugins: ${e.message}`, true));
    return;
  }
  const plugin = el('select', { id: 'plugin', onchange: () => loadDefinition() },
    el('option', { value: '' }, 'Choose a connector plugin…'),
    plugins.map((p) => el('option', { value: p.class }, `${p.class} (${p.type})`)));
  const name = el('input', { id: 'name', name: 'name', placeholder: 'my-connector', oninput: () => validateSoon() });
  const nameField = el('div', { class: 'field', 'data-field': 'name' }, el('label', { for: 'name' }, 'Name'), name, el('div', { class: 'error' }));
  const fields = el('div', { id: 'fields' });
  const summary = el('p', { class: 'summary', id: 'validation-summary' });
  const create = el('button', { id: 'create', class: 'primary', type: 'button', disabled: true, onclick: () => submit() }, 'Create');
  const form = el('form', { class: 'connector', onsubmit: (e) => e.preventDefault() },
    el('label', { for: 'plugin' }, 'Plugin'), plugin,
    nameField, fields, summary, create);
  view.replaceChildren(el('h1', {}, 'New connector'), el('section', { class: 'panel' }, form));
  let timer = null;
  let generation = 0;

  function config() {
    const values = { 'connector.class': plugin.value, name: name.value };
    for (const input of fields.querySelectorAll('[data-key]')) {
      if (input.value !== '') values[input.dataset.key] = input.value;
    }
    return values;
  }

  function validateSoon() {
    clearTimeout(timer);
    timer = setTimeout(validate, 400);
  }

  async function validate() {
    if (!plugin.value) return;
    const asked = ++generation;
    let answer;
    try {
      answer = await api('PUT', `/connector-plugins/${enc(plugin.value)}/config/validate`, config());
    } catch (e) {
      summary.textContent = `Cannot validate: ${e.message}`;
      return;
    }
    if (asked !== generation) return;
    let errors = 0;
    const unplaced = [];
    for (const entry of answer.configs || []) {
      const key = entry.value.name;
      const messages = entry.value.errors || [];
      errors += messages.length;
      const field = key === 'name' ? nameField : fields.querySelector(`[data-field="${CSS.escape(key)}"]`);
      const target = field && field.querySelector('.error');
      if (target) {
        target.textContent = messages.join(' ');
        field.classList.toggle('invalid', messages.length > 0);
        const folded = field.closest('details');
        if (folded && messages.length) folded.open = true;
      } else if (messages.length) {
        unplaced.push(`${key}: ${messages.join(' ')}`);
      }
    }
    summary.textContent = errors ? `${errors} setting${errors > 1 ? 's are' : ' is'} not valid. ${unplaced.join(' ')}` : 'Valid.';
    summary.classList.toggle('error', errors > 0);
    create.disabled = errors > 0 || !name.value;
  }

  async function loadDefinition() {
    fields.replaceChildren();
    create.disabled = true;
    if (!plugin.value) return;
    let definition;
    try {
      definition = await api('GET', `/connector-plugins/${enc(plugin.value)}/config`);
    } catch (e) {
      fields.replaceChildren(notice(e.message, true));
      return;
    }
    const groups = new Map();
    for (const setting of definition) {
      if (setting.name === 'name' || setting.name === 'connector.class') continue;
      const group = setting.group || 'Settings';
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(setting);
    }
    // The plugin's own settings first; the settings every connector has (Apache's groups)
    // folded away below them.
    const own = [...groups].filter(([group]) => !COMMON_GROUPS.has(group));
    const common = [...groups].filter(([group]) => COMMON_GROUPS.has(group));
    for (const [group, settings] of own) {
      fields.append(el('fieldset', {}, el('legend', {}, group), settings.map(fieldFor)));
    }
    for (const [group, settings] of common) {
      fields.append(el('details', {}, el('summary', {}, group), settings.map(fieldFor)));
    }
    validate();
  }

  function fieldFor(setting) {
    const id = `setting-${setting.name}`;
    let input;
    if (setting.type === 'BOOLEAN') {
      input = el('select', { id, 'data-key': setting.name, onchange: validateSoon },
        el('option', { value: '' }, `default (${setting.default_value ?? 'none'})`), el('option', {}, 'true'), el('option', {}, 'false'));
    } else {
      input = el('input', {
        id, name: setting.name, 'data-key': setting.name, oninput: validateSoon,
        type: setting.type === 'PASSWORD' ? 'password' : 'text',
        placeholder: setting.default_value ?? '',
      });
    }
    return el('div', { class: 'field', 'data-field': setting.name },
      el('label', { for: id }, setting.name, setting.required ? ' *' : ''),
      el('div', { class: 'doc' }, `${setting.type}. ${setting.documentation || ''}`),
      input,
      el('div', { class: 'error' }));
  }

  async function submit() {
    create.disabled = true;
    const values = config();
    try {
      await api('POST', '/connectors', { name: values.name, config: values });
      location.hash = `#/connectors/${enc(values.name)}`;
    } catch (e) {
      summary.textContent = `Not created: ${e.message}`;
      summary.classList.add('error');
      create.disabled = false;
    }
  }
}

// ---- routing ----------------------------------------------------------------------------

function route() {
  clearTimeout(refreshTimer);
  const hash = location.hash || '#/';
  if (hash.startsWith('#/connectors/')) showConnector(decodeURIComponent(hash.slice('#/connectors/'.length)));
  else if (hash === '#/new') showNew();
  else showList();
}

window.addEventListener('hashchange', route);
route();
