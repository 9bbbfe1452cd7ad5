// sluice's page. Plain JavaScript, no build step. Every piece of text from
// the server or a model is inserted with textContent or a text node, never as
// HTML.
'use strict';

(() => {
  const $ = (sel) => document.querySelector(sel);

  const el = {
    form: $('#composer'),
    prompt: $('#prompt'),
    pickers: $('#pickers'),
    addModel: $('#add-model'),
    maxTokens: $('#max-tokens'),
    stream: $('#stream'),
    stop: $('#stop'),
    notice: $('#notice'),
    compare: $('#compare-toggle'),
    panels: $('#panels'),
    template: $('#panel-template'),
    history: $('#history-list'),
    historyEmpty: $('#history-empty'),
    refresh: $('#refresh-history'),
  };

  const MIN_COMPARE = 2;
  const MAX_COMPARE = 4;

  const state = {
    models: [],        // [{id, simulated, default, alias_for}]
    defaultModel: '',
    serverNotice: '',  // the server's word on its models (why the default is simulated), from /v1/models
    selected: [],      // chosen model ids, one per picker
    running: new Set(), // AbortControllers of streams in flight
  };

  // ---- formatting ----------------------------------------------------------

  function fmtMs(ms) {
    if (ms == null || !isFinite(ms) || ms <= 0) return '–';
    if (ms < 1000) return (ms < 10 ? ms.toFixed(1) : Math.round(ms)) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }

  function fmtRate(r) {
    if (!r || !isFinite(r) || r <= 0) return '–';
    return r < 100 ? r.toFixed(1) : String(Math.round(r));
  }

  function fmtTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function modelInfo(id) {
    return state.models.find((m) => m.id === id) || { id, simulated: id.startsWith('sim/') };
  }

  function modelLabel(m) {
    let s = m.id;
    if (m.alias_for) s += ' → ' + m.alias_for;
    if (m.simulated) s += ' (simulated)';
    if (m.default) s += ' · default';
    return s;
  }

  // ---- model pickers -------------------------------------------------------

  async function loadModels() {
    try {
      const res = await fetch('/v1/models', { headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const body = await res.json();
      state.models = Array.isArray(body.data) ? body.data : [];
      state.defaultModel = body.default || (state.models[0] ? state.models[0].id : '');
      state.serverNotice = typeof body.notice === 'string' ? body.notice : '';
    } catch (err) {
      showNotice('Could not load the model list (' + err.message + '). Is the server running?');
    }
    if (state.selected.length === 0 && state.defaultModel) state.selected = [state.defaultModel];
    renderPickers();
    updateNotice();
  }

  function pickerCount() {
    return el.compare.checked ? Math.max(MIN_COMPARE, Math.min(MAX_COMPARE, state.selected.length)) : 1;
  }

  // nextModel picks a model not chosen yet, for a new compare column.
  function nextModel() {
    const free = state.models.find((m) => !state.selected.includes(m.id));
    return free ? free.id : state.defaultModel;
  }

  function renderPickers() {
    const n = pickerCount();
    while (state.selected.length < n) state.selected.push(nextModel());
    el.pickers.replaceChildren();
    el.pickers.classList.toggle('compare', el.compare.checked);
    for (let i = 0; i < n; i++) {
      const wrap = document.createElement('div');
      wrap.className = 'picker';
      const select = document.createElement('select');
      select.setAttribute('aria-label', n > 1 ? 'Model ' + (i + 1) : 'Model');
      select.dataset.index = String(i);
      const ids = state.models.map((m) => m.id);
      const current = state.selected[i];
      const options = ids.includes(current) || !current ? state.models : [modelInfo(current), ...state.models];
      for (const m of options) {
        const opt = document.createElement('option');
        opt.value = m.id;
        opt.textContent = modelLabel(m);
        select.append(opt);
      }
      select.value = current || '';
      select.addEventListener('change', () => {
        state.selected[i] = select.value;
        updateNotice();
      });
      wrap.append(select);
      if (el.compare.checked && n > MIN_COMPARE) {
        const rm = document.createElement('button');
        rm.type = 'button';
        rm.className = 'ghost remove';
        rm.textContent = '×';
        rm.title = 'Remove this model';
        rm.setAttribute('aria-label', 'Remove model ' + (i + 1));
        rm.addEventListener('click', () => {
          state.selected.splice(i, 1);
          renderPickers();
        });
        wrap.append(rm);
      }
      el.pickers.append(wrap);
    }
    el.addModel.hidden = !el.compare.checked || n >= MAX_COMPARE;
  }

  function showNotice(text) {
    el.notice.textContent = text;
    el.notice.hidden = !text;
  }

  function updateNotice() {
    if (state.models.length === 0) return;
    const real = state.models.filter((m) => !m.simulated);
    const chosen = state.selected.slice(0, pickerCount()).map(modelInfo);
    if (state.serverNotice && chosen.some((m) => m.simulated)) {
      // The server knows why it fell back to the simulator (no model could be downloaded, --no-pull).
      showNotice(state.serverNotice);
    } else if (real.length === 0) {
      showNotice('No provider keys are configured, so sluice streams from its built-in simulator: the output is simulated. ' +
        'Set OPENAI_API_KEY or ANTHROPIC_API_KEY (or configure a local model) and restart to stream from real models.');
    } else if (chosen.some((m) => m.simulated)) {
      showNotice('Models marked “simulated” stream from sluice’s simulator, not a real model.');
    } else {
      showNotice('');
    }
  }

  // ---- panels --------------------------------------------------------------

  function createPanel(model) {
    const node = el.template.content.firstElementChild.cloneNode(true);
    const textNode = document.createTextNode('');
    node.querySelector('.text').append(textNode);
    node.querySelector('.model-name').textContent = model;
    node.querySelector('.model-name').title = model;
    const panel = {
      node,
      textNode,
      output: node.querySelector('.output'),
      status: node.querySelector('.status'),
      badge: node.querySelector('.badge.sim'),
      error: node.querySelector('.error'),
      ttft: node.querySelector('.m-ttft'),
      tps: node.querySelector('.m-tps'),
      tokens: node.querySelector('.m-tokens'),
      finish: node.querySelector('.m-finish'),
    };
    panel.badge.hidden = !modelInfo(model).simulated;
    return panel;
  }

  function setState(panel, st, text) {
    panel.node.dataset.state = st;
    panel.status.textContent = text;
  }

  function showError(panel, message) {
    panel.error.textContent = message;
    panel.error.hidden = false;
    setState(panel, 'error', 'error');
  }

  function appendText(panel, text) {
    const out = panel.output;
    const atBottom = out.scrollHeight - out.scrollTop - out.clientHeight < 24;
    panel.textNode.appendData(text);
    if (atBottom) out.scrollTop = out.scrollHeight;
  }

  function layoutPanels(n) {
    el.panels.style.setProperty('--cols', String(n));
  }

  // ---- SSE over fetch ------------------------------------------------------

  // sseEvents yields {event, data, id} for each event of a text/event-stream
  // body, following the WHATWG rules the server's encoder relies on.
  async function* sseEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let data = [];
    let event = '';
    let id = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        if (buf[nl] === '\r' && nl === buf.length - 1) break; // CR at the end: maybe CRLF
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n'), id };
          data = [];
          event = '';
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'data') data.push(val);
        else if (field === 'event') event = val;
        else if (field === 'id' && !val.includes('\0')) id = val;
      }
    }
  }

  // ---- one stream ----------------------------------------------------------

  async function run(panel, model, prompt, maxTokens) {
    const ctrl = new AbortController();
    state.running.add(ctrl);
    const t0 = performance.now();
    let first = 0;
    let last = 0;
    let count = 0;
    let ended = false;
    let frame = 0;

    const paintLive = () => {
      frame = 0;
      panel.tokens.textContent = String(count);
      if (first) panel.ttft.textContent = fmtMs(first - t0);
      if (count > 1 && last > first) panel.tps.textContent = fmtRate((count - 1) / ((last - first) / 1000));
    };

    setState(panel, 'waiting', 'connecting…');
    try {
      const body = { prompt, model };
      if (maxTokens) body.max_tokens = maxTokens;
      const res = await fetch('/stream', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(body),
        signal: ctrl.signal,
      });
      if (!res.ok) {
        let msg = 'HTTP ' + res.status;
        try {
          const e = await res.json();
          msg = e.message + (e.hint ? ' — ' + e.hint : '');
        } catch (_) { /* not JSON */ }
        showError(panel, msg);
        panel.finish.textContent = 'rejected';
        return;
      }
      setState(panel, 'waiting', 'waiting for first token…');
      for await (const ev of sseEvents(res.body)) {
        let d;
        try {
          d = JSON.parse(ev.data);
        } catch (_) {
          continue;
        }
        switch (d.type) {
          case 'start':
            if (d.simulated) panel.badge.hidden = false;
            break;
          case 'token':
          case 'refusal': {
            const now = performance.now();
            if (!first) {
              first = now;
              setState(panel, 'streaming', 'streaming');
            }
            last = now;
            count++;
            appendText(panel, d.text);
            if (!frame) frame = requestAnimationFrame(paintLive);
            break;
          }
          case 'done': {
            ended = true;
            const m = d.metrics || {};
            panel.ttft.textContent = fmtMs(m.ttft_ms);
            panel.tps.textContent = fmtRate(m.tps);
            panel.tokens.textContent = String(m.output_tokens ?? count) + (m.output_tokens_estimated ? '~' : '');
            panel.tokens.title = m.output_tokens_estimated ? 'estimated: the provider reported no usage' : 'reported by the provider';
            panel.finish.textContent = d.finish_reason || 'stop';
            setState(panel, 'done', 'done in ' + fmtMs(m.e2e_ms));
            break;
          }
          case 'error':
            ended = true;
            showError(panel, (d.message || 'the stream failed') + (d.hint ? ' — ' + d.hint : '') +
              (d.partial_text ? ' (the text above is partial)' : ''));
            panel.finish.textContent = d.finish_reason || 'error';
            break;
        }
      }
      if (!ended) {
        showError(panel, 'The connection closed before the stream ended; the text above is partial.');
        panel.finish.textContent = 'error';
      }
    } catch (err) {
      if (ctrl.signal.aborted) {
        setState(panel, 'stopped', 'stopped');
        panel.finish.textContent = 'canceled';
      } else {
        showError(panel, 'Connection failed: ' + err.message + (count ? ' (the text above is partial)' : ''));
        panel.finish.textContent = 'error';
      }
    } finally {
      if (frame) cancelAnimationFrame(frame);
      if (!ended) paintLive();
      state.running.delete(ctrl);
      if (state.running.size === 0) finishedAll();
    }
  }

  function finishedAll() {
    el.stream.disabled = false;
    el.stop.disabled = true;
    // The server writes the request log after each stream, off its hot
    // path; give it a moment.
    setTimeout(loadHistory, 300);
  }

  function startAll() {
    const prompt = el.prompt.value.trim();
    if (!prompt || state.running.size > 0) return;
    const n = pickerCount();
    const models = state.selected.slice(0, n).filter(Boolean);
    if (models.length === 0) {
      showNotice('No model to stream from: the model list is empty.');
      return;
    }
    const maxTokens = parseInt(el.maxTokens.value, 10) > 0 ? parseInt(el.maxTokens.value, 10) : 0;
    const panels = models.map(createPanel);
    el.panels.replaceChildren(...panels.map((p) => p.node));
    layoutPanels(panels.length);
    el.stream.disabled = true;
    el.stop.disabled = false;
    panels.forEach((p, i) => run(p, models[i], prompt, maxTokens));
  }

  function stopAll() {
    for (const ctrl of state.running) ctrl.abort();
  }

  // ---- history -------------------------------------------------------------

  async function loadHistory() {
    let entries = [];
    try {
      const res = await fetch('/v1/logs?limit=30');
      if (res.ok) entries = (await res.json()).data || [];
    } catch (_) {
      return;
    }
    el.history.replaceChildren();
    el.historyEmpty.hidden = entries.length > 0;
    for (const e of entries) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.title = new Date(e.time).toLocaleString();
      const line = document.createElement('span');
      line.className = 'h-line';
      const p = document.createElement('span');
      p.className = 'h-prompt';
      p.textContent = e.prompt || '(no prompt)';
      const time = document.createElement('span');
      time.className = 'h-time';
      time.textContent = fmtTime(e.time);
      line.append(p, time);
      const meta = document.createElement('span');
      meta.className = 'h-meta';
      const fin = document.createElement('span');
      fin.textContent = e.partial ? (e.error_kind || e.finish_reason) : e.finish_reason;
      fin.className = e.partial ? 'bad' : 'ok';
      const m = e.metrics || {};
      meta.append(fin, ' · ' + [e.model, fmtMs(m.ttft_ms), (m.output_tokens || 0) + ' tok'].join(' · '));
      b.append(line, meta);
      b.addEventListener('click', () => showHistory(e));
      li.append(b);
      el.history.append(li);
    }
  }

  function showHistory(e) {
    el.prompt.value = e.prompt || '';
    const panel = createPanel(e.model);
    panel.textNode.appendData(e.text || '');
    const m = e.metrics || {};
    panel.ttft.textContent = fmtMs(m.ttft_ms);
    panel.tps.textContent = fmtRate(m.tps);
    panel.tokens.textContent = String(m.output_tokens || 0);
    panel.finish.textContent = e.finish_reason || '–';
    setState(panel, e.partial ? 'error' : 'done', 'from history · ' + fmtTime(e.time));
    if (e.error) {
      panel.error.textContent = e.error;
      panel.error.hidden = false;
    }
    el.panels.replaceChildren(panel.node);
    layoutPanels(1);
  }

  // ---- wiring --------------------------------------------------------------

  el.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    startAll();
  });
  el.prompt.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      el.form.requestSubmit();
    }
  });
  el.stop.addEventListener('click', stopAll);
  el.compare.addEventListener('change', () => {
    renderPickers();
    updateNotice();
  });
  el.addModel.addEventListener('click', () => {
    if (state.selected.length < MAX_COMPARE) state.selected.push(nextModel());
    renderPickers();
  });
  el.refresh.addEventListener('click', loadHistory);

  loadModels();
  loadHistory();
})();
