// The web NOC's page: the map, the alarm list, the link and site pages,
// kept live by the server's event stream. Every string from the sink goes
// in through textContent, never as HTML.
'use strict';

(function () {
  const $ = id => document.getElementById(id);
  const noc = window.noc = { state: { alarms: [], links: {} }, sel: 0, filter: '', ready: false, states: 0, unfolded: new Set() };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f); else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  const svgEl = (tag, attrs) => { const e = document.createElementNS('http://www.w3.org/2000/svg', tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };

  function age(t) {
    const s = Math.max(0, (Date.now() - new Date(t)) / 1000);
    if (s < 60) return Math.round(s) + 's';
    if (s < 3600) return Math.round(s / 60) + 'm';
    if (s < 86400) return (s / 3600).toFixed(1) + 'h';
    return (s / 86400).toFixed(1) + 'd';
  }
  function bps(v) {
    if (!v) return '0';
    const u = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
    let i = 0;
    while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return v.toFixed(v < 10 ? 1 : 0) + ' ' + u[i];
  }
  const speed = m => !m ? '-' : m >= 1000 ? (m / 1000) + 'G' : m + 'M';
  const oper = o => el('span', { class: 'oper-' + (o || 'unknown') }, o || 'unknown');

  async function getJSON(path) {
    const r = await fetch(path, { credentials: 'same-origin' });
    if (r.status === 401) { location.href = '/login'; throw new Error('log in'); }
    const b = await r.json();
    if (!r.ok) throw new Error(b.error || r.statusText);
    return b;
  }

  // --- alarms -------------------------------------------------------
  // Active root alarms first by severity then age, their children under
  // them, cleared ones last.
  function ordered(alarms) {
    const rank = { critical: 0, major: 1, minor: 2, warning: 3, info: 4 };
    const byId = new Map(alarms.map(a => [a.id, a]));
    const cmp = (a, b) => (a.state === 'active' ? 0 : 1) - (b.state === 'active' ? 0 : 1) ||
      (rank[a.severity] ?? 5) - (rank[b.severity] ?? 5) || new Date(a.raised) - new Date(b.raised);
    const roots = alarms.filter(a => !a.parent || !byId.has(a.parent)).sort(cmp);
    const out = [];
    for (const r of roots) {
      out.push([r, false]);
      // Children stay folded under their root until it is opened (space).
      if (noc.unfolded.has(r.id)) for (const c of alarms.filter(a => a.parent === r.id).sort(cmp)) out.push([c, true]);
    }
    return out;
  }

  function visibleAlarms() {
    const f = noc.filter.toLowerCase();
    return ordered(noc.state.alarms || []).filter(([a]) => !f ||
      [a.id, a.rule, a.object, a.message, a.severity, ...(a.ducts || []), ...(a.cables || []), ...(a.sites || [])].join(' ').toLowerCase().includes(f));
  }

  function renderAlarms() {
    const list = visibleAlarms();
    const active = (noc.state.alarms || []).filter(a => a.state === 'active');
    $('alarm-count').textContent = active.length + ' active';
    noc.sel = Math.max(0, Math.min(noc.sel, list.length - 1));
    const ol = $('alarms');
    ol.replaceChildren(...list.map(([a, child], i) => {
      const ack = a.acked ? el('span', { class: 'acked' }, 'acked by ' + a.acked_by) :
        a.state === 'active' ? el('button', { type: 'button', class: 'ack', 'data-id': a.id, on: { click: e => { e.stopPropagation(); ackAlarm(a.id); } } }, 'ack') : el('span', { class: 'acked' }, 'cleared');
      const li = el('li', { class: (child ? 'child ' : '') + (a.state !== 'active' ? 'cleared ' : '') + (i === noc.sel ? 'sel' : ''), 'data-id': a.id, 'data-rule': a.rule },
        el('span', { class: 'sev ' + a.severity }, a.severity),
        el('span', {}, a.object_kind + ' ', el('b', {}, a.object), a.children && a.children.length ?
          el('button', { type: 'button', class: 'fold', title: 'fold / unfold (space)', on: { click: e => { e.stopPropagation(); fold(a.id); } } },
            (noc.unfolded.has(a.id) ? '−' : '+') + a.children.length) : '', ' · ' + age(a.raised)),
        ack,
        el('span', { class: 'msg' }, a.message));
      li.addEventListener('click', () => { noc.sel = i; openAlarm(a); renderAlarms(); });
      return li;
    }));
    const sel = ol.children[noc.sel];
    if (sel && sel.scrollIntoViewIfNeeded) sel.scrollIntoViewIfNeeded(false);
  }

  function fold(id) {
    if (noc.unfolded.has(id)) noc.unfolded.delete(id); else noc.unfolded.add(id);
    renderAlarms();
  }

  function openAlarm(a) {
    if (a.object_kind === 'link') location.hash = '#/link/' + encodeURIComponent(a.object);
    else if (a.object_kind === 'site') location.hash = '#/site/' + encodeURIComponent(a.object);
    else if (a.object_kind === 'duct') noc.map.fitDuct(a.object);
  }

  async function ackAlarm(id) {
    const by = $('by').value.trim();
    localStorage.setItem('tuyau.by', by);
    const r = await fetch('/api/alarms/' + encodeURIComponent(id) + '/ack', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ by }) });
    if (!r.ok) {
      const b = await r.json().catch(() => ({}));
      showError(b.error || r.statusText);
    }
  }

  function showError(msg) {
    const e = $('error');
    e.textContent = msg || '';
    e.title = msg || '';
    e.hidden = !msg;
  }

  // --- live state ---------------------------------------------------
  function onState(s) {
    // A delta carries only the links that changed since the event before.
    if (s.delta) s.links = Object.assign(noc.state.links || {}, s.links);
    noc.state = s;
    noc.states++;
    noc.stateAt = Date.now();
    if (!noc.coloured && Object.keys(s.links || {}).length) noc.coloured = performance.now();
    const ls = Object.values(s.links || {});
    const down = ls.filter(l => l[0] === 'down').length;
    $('summary').textContent = ls.length + ' links · ' + down + ' down';
    $('summary').className = 'pill' + (down ? ' stale' : '');
    $('targets').textContent = 'targets ' + s.targets[0] + '/' + s.targets[1];
    showError(s.error);
    renderHosting(s.hosting);
    noc.map.setState(s);
    renderAlarms();
    if (noc.page) noc.page.refresh();
  }

  // renderHosting puts each hosting service's active site in the header:
  // the first thing asked after a cut near a core site.
  function renderHosting(h) {
    if (!h) return;
    const pills = (h.services || []).map(sv => {
      const where = !h.running ? '?' : sv.known ? (sv.active_site || 'WITHDRAWN') : '?';
      const bad = h.running && sv.known && !sv.active_site;
      const degraded = h.running && sv.active_site && sv.sites && sv.active_site !== sv.sites[0];
      return el('span', { class: 'pill' + (bad ? ' stale' : degraded ? ' warn' : ''), 'data-service': sv.name,
        title: 'preference ' + (sv.sites || []).join(' > ') }, sv.name + ' @ ' + where);
    });
    if (h.running) pills.push(el('span', { class: 'pill' + (h.sessions[0] < h.sessions[1] ? ' stale' : '') }, 'BGP ' + h.sessions[0] + '/' + h.sessions[1]));
    const box = $('hosting-pills');
    box.replaceChildren(...pills);
    box.title = h.running ? '' : 'BGP speaker not running' + (h.note ? ': ' + h.note : '');
  }

  function connect() {
    const es = new EventSource('/api/events');
    es.addEventListener('state', e => onState(JSON.parse(e.data)));
    es.onopen = () => { $('live').textContent = 'live'; $('live').className = 'pill live'; };
    es.onerror = () => { $('live').textContent = 'reconnecting'; $('live').className = 'pill stale'; };
    noc.events = es;
  }

  // --- pages --------------------------------------------------------
  function route() {
    const m = location.hash.match(/^#\/(link|site)\/(.+)$/);
    if (!m) { closePage(); return; }
    const id = decodeURIComponent(m[2]);
    $('alarms-pane').hidden = true;
    $('detail').hidden = false;
    noc.page = m[1] === 'link' ? linkPage(id) : sitePage(id);
    noc.page.refresh();
  }

  function closePage() {
    noc.page = null;
    $('detail').hidden = true;
    $('alarms-pane').hidden = false;
    noc.map.select(null);
    if (location.hash) history.replaceState(null, '', location.pathname);
  }

  // throttled refreshes a page at most once a second, on state events.
  function throttled(load) {
    let last = 0, busy = false, again = false;
    const run = () => {
      busy = true; last = Date.now();
      load().catch(e => showError(e.message)).finally(() => { busy = false; if (again) { again = false; run(); } });
    };
    return {
      refresh() {
        if (busy || Date.now() - last < 1000) return;
        run();
      },
      // reload at once (a choice on the page), after the load under way.
      reload() { if (busy) again = true; else run(); }
    };
  }

  function linkPage(id) {
    noc.map.select(id);
    noc.map.fitLink(id);
    return throttled(async () => {
      const p = await getJSON('/api/links/' + encodeURIComponent(id));
      const st = p.state, plan = p.plan;
      const body = [el('h2', {}, 'Link ' + id, ' ', oper(st ? st.oper : 'unknown'))];
      if (st) body.push(el('p', {}, speed(st.speed_mbps) + ' · utilization ' + Math.round(100 * st.utilization) + '%'));
      const ends = el('table', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'interface'), el('th', {}, 'site'), el('th', {}, 'oper'), el('th', {}, 'in / out'), el('th', {}, 'rx / tx dBm')));
      for (const k of ['a', 'b']) {
        const e = st ? st[k] : null;
        const name = e && e.device ? e.device + ':' + e.interface : plan ? (plan[k] || '(outside)') : '-';
        const site = e && e.site ? e.site : plan ? plan[k + '_site'] : '';
        ends.append(el('tr', {}, el('td', {}, k.toUpperCase()), el('td', {}, name),
          el('td', {}, site ? el('a', { href: '#/site/' + encodeURIComponent(site) }, site) : '-'),
          el('td', {}, oper(e && e.oper ? e.oper.toLowerCase() : 'unknown')),
          el('td', {}, e ? bps(e.in_bps) + ' / ' + bps(e.out_bps) : '-'),
          el('td', {}, e && e.has_optics ? e.rx_dbm.toFixed(1) + ' / ' + e.tx_dbm.toFixed(1) : '-')));
      }
      body.push(el('h3', {}, 'Ends'), ends);
      body.push(el('h3', {}, 'Cables'));
      if (!p.cables.length) body.push(el('p', {}, 'none known (a circuit, or a link without cables in the inventory)'));
      else body.push(el('table', {}, ...p.cables.map(c => el('tr', { 'data-cable': c.cable }, el('td', {}, c.cable),
        el('td', {}, c.km.toFixed(2) + ' km'), el('td', {}, c.type || ''), el('td', {}, (c.from_name || c.from) + ' – ' + (c.to_name || c.to)),
        el('td', {}, (c.srlgs || []).join(', '))))));
      if (p.ducts.length) {
        body.push(el('h3', {}, 'Ducts'));
        body.push(el('table', {}, ...p.ducts.map(d => el('tr', {}, el('td', {}, el('a', { href: '#', on: { click: e => { e.preventDefault(); noc.map.fitDuct(d.name); } } }, d.name)),
          el('td', {}, d.cables.length + ' cables: ' + d.cables.join(', '))))));
      }
      body.push(el('h3', {}, 'Rx power against the budget'));
      body.push(st && st.has_rx ? budget(st) : el('p', {}, 'no receive power reported' + (st ? ' (expected ' + st.expected_rx_dbm.toFixed(1) + ' dBm)' : '')));
      body.push(el('h3', {}, 'History' + (st ? ' (' + st.history.length + ' points from the sink)' : '')));
      if (st && st.history.length > 1) body.push(chart(st.history)); else body.push(el('p', {}, 'no history yet'));
      if (p.alarms.length) body.push(el('h3', {}, 'Alarms'), el('ul', {}, ...p.alarms.map(a => el('li', {}, a.severity + ' ' + a.object_kind + ' ' + a.object + ': ' + a.message))));
      if (p.error) body.push(el('p', { class: 'error' }, p.error));
      $('detail-body').replaceChildren(...body);
    });
  }

  // budget draws the receive power between the sensitivity and the
  // expected power, the way an optical engineer reads a budget.
  function budget(st) {
    const lo = Math.min(st.sensitivity_dbm, st.measured_rx_dbm) - 1, hi = Math.max(st.expected_rx_dbm, st.measured_rx_dbm) + 1;
    const W = 420, x = v => 10 + (W - 20) * (v - lo) / (hi - lo);
    const s = svgEl('svg', { width: W, height: 58, viewBox: '0 0 ' + W + ' 58', id: 'budget' });
    s.append(svgEl('rect', { x: 10, y: 18, width: W - 20, height: 10, fill: '#263040' }));
    s.append(svgEl('rect', { x: 10, y: 18, width: Math.max(0, x(st.sensitivity_dbm) - 10), height: 10, fill: '#6b1b1b' }));
    const mark = (v, color, label, yText) => {
      s.append(svgEl('line', { x1: x(v), x2: x(v), y1: 12, y2: 34, stroke: color, 'stroke-width': 3 }));
      const t = svgEl('text', { x: Math.min(W - 120, Math.max(0, x(v) - 20)), y: yText }); t.textContent = label + ' ' + v.toFixed(1); s.append(t);
    };
    mark(st.sensitivity_dbm, '#ff3b30', 'sens', 48);
    mark(st.expected_rx_dbm, '#79c0ff', 'expected', 10);
    mark(st.measured_rx_dbm, st.margin_db < 3 ? '#f0883e' : '#3fb950', 'measured', 56);
    const p = el('div', {}, s, el('p', {}, 'margin ' + st.margin_db.toFixed(1) + ' dB · deviation ' + st.deviation_db.toFixed(1) +
      ' dB · drift ' + st.drift_db.toFixed(1) + ' dB' + (st.has_budget ? ' · worst-case margin ' + st.worst_case_margin_db.toFixed(1) + ' dB' : '')));
    return p;
  }

  // chart plots utilization (0-100 %) and the Rx power of the history.
  function chart(h) {
    const W = 420, H = 150, L = 34, R = 40, T = 8, B = 20;
    const t0 = new Date(h[0].time).getTime(), t1 = new Date(h[h.length - 1].time).getTime() || t0 + 1;
    const tx = t => L + (W - L - R) * (new Date(t).getTime() - t0) / Math.max(1, t1 - t0);
    const s = svgEl('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, id: 'history' });
    s.append(svgEl('rect', { x: L, y: T, width: W - L - R, height: H - T - B, fill: '#0b1016', stroke: '#263040' }));
    const uy = u => T + (H - T - B) * (1 - Math.min(1, u));
    s.append(svgEl('polyline', { fill: 'none', stroke: '#e3b341', 'stroke-width': 1.5, points: h.map(p => tx(p.time).toFixed(1) + ',' + uy(p.utilization).toFixed(1)).join(' ') }));
    const rx = h.filter(p => p.measured_rx_dbm);
    if (rx.length > 1) {
      let lo = Math.min(...rx.map(p => p.measured_rx_dbm)), hi = Math.max(...rx.map(p => p.measured_rx_dbm));
      if (hi - lo < 1) { lo -= 0.5; hi += 0.5; }
      const ry = v => T + (H - T - B) * (hi - v) / (hi - lo);
      s.append(svgEl('polyline', { fill: 'none', stroke: '#79c0ff', 'stroke-width': 1.5, points: rx.map(p => tx(p.time).toFixed(1) + ',' + ry(p.measured_rx_dbm).toFixed(1)).join(' ') }));
      const a = svgEl('text', { x: W - R + 3, y: T + 10 }); a.textContent = hi.toFixed(1); s.append(a);
      const b = svgEl('text', { x: W - R + 3, y: H - B }); b.textContent = lo.toFixed(1); s.append(b);
    }
    // Down periods as red bars along the bottom.
    for (let i = 0; i < h.length - 1; i++) if (h[i].oper === 'down') s.append(svgEl('rect', { x: tx(h[i].time), y: H - B - 4, width: Math.max(1, tx(h[i + 1].time) - tx(h[i].time)), height: 4, fill: '#ff3b30' }));
    const lab = (x, y, t) => { const e = svgEl('text', { x, y }); e.textContent = t; s.append(e); };
    lab(2, T + 10, '100%'); lab(2, H - B, '0%');
    lab(L, H - 4, new Date(t0).toLocaleTimeString()); lab(W - R - 50, H - 4, new Date(t1).toLocaleTimeString());
    return el('div', {}, s, el('p', {}, el('span', { class: 'sev minor' }, '— utilization'), '  ', el('span', { class: 'sev info' }, '— Rx dBm')));
  }

  function sitePage(slug) {
    noc.map.select(null);
    const i = noc.map.siteIndex(slug);
    if (i >= 0) noc.map.fit(j => j === i);
    return throttled(async () => {
      const p = await getJSON('/api/sites/' + encodeURIComponent(slug));
      const s = p.site;
      const body = [el('h2', {}, s.name || s.slug), el('p', {}, s.role + (s.facility ? ' · ' + s.facility : '') + ' · ' + s.slug)];
      if (p.cores.length) {
        const up = p.cores.filter(c => c.reachable).length;
        body.push(el('p', {}, 'hosting ', el('span', { id: 'hosting', class: 'badge ' + (up ? 'ok' : 'bad') },
          up === p.cores.length ? 'reachable through ' + (up > 1 ? 'both core sites' : 'the core site') : up ? 'through one core site only' : 'lost')));
        if (s.role === 'member') body.push(await availability(slug, () => noc.page && noc.page.reload && noc.page.reload()));
        body.push(el('h3', {}, 'Reach of the core sites'));
        for (const c of p.cores) {
          body.push(el('p', { 'data-core': c.core }, el('span', { class: 'badge ' + (c.reachable ? 'ok' : 'bad') }, c.reachable ? 'reachable' : 'unreachable'), ' ', c.core));
          c.routes.forEach((r, k) => {
            body.push(el('table', {}, el('tr', {}, el('th', { colspan: 3 }, (k ? 'backup' : 'primary') + ' route · ' + r.km.toFixed(1) + ' km · ', oper(r.up ? 'up' : 'down'))),
              ...r.hops.map(h => el('tr', {}, el('td', {}, el('a', { href: '#/link/' + encodeURIComponent(h.link) }, h.link)), el('td', {}, h.from + ' → ' + h.to), el('td', {}, oper(h.oper))))));
          });
          if (c.note) body.push(el('p', { class: 'acked' }, c.note));
          if (c.error) body.push(el('p', { class: 'error' }, c.error));
        }
      }
      body.push(el('h3', {}, 'Links'));
      body.push(el('table', {}, ...p.links.map(l => el('tr', {}, el('td', {}, el('a', { href: '#/link/' + encodeURIComponent(l.id) }, l.id)),
        el('td', {}, l.peer ? el('a', { href: '#/site/' + encodeURIComponent(l.peer) }, l.peer) : '(outside)'), el('td', {}, speed(l.speed_mbps)), el('td', {}, oper(l.oper))))));
      body.push(el('h3', {}, 'Alarms'));
      body.push(p.alarms.length ? el('ul', {}, ...p.alarms.map(a => el('li', {}, a.severity + ' ' + a.object_kind + ' ' + a.object + ': ' + a.message))) : el('p', {}, 'none'));
      if (p.error) body.push(el('p', { class: 'error' }, p.error));
      $('detail-body').replaceChildren(...body);
    });
  }

  // availability is a member site's share of the last 24 h or 30 d with
  // the hosting reachable, with both core sites, not known, and its
  // outages newest first with their causes: what telemetry/report says
  // from the state-change history (the server caches it).
  function pct(v) { return v === null || v === undefined ? 'n/a' : (v >= 99.995 && v < 100 ? v.toFixed(3) : v.toFixed(2)) + ' %'; }
  async function availability(slug, reload) {
    const win = noc.availWindow || '24h';
    const box = el('section', { id: 'availability', 'data-window': win });
    const pick = w => el('button', { type: 'button', 'data-window': w, class: w === win ? 'on' : '',
      on: { click: () => { noc.availWindow = w; reload(); } } }, 'last ' + w.replace('h', ' h').replace('d', ' d'));
    box.append(el('h3', {}, 'Availability ', pick('24h'), ' ', pick('30d')));
    let a;
    try { a = await getJSON('/api/sites/' + encodeURIComponent(slug) + '/availability?window=' + win); } catch (e) { box.append(el('p', { class: 'error' }, e.message)); return box; }
    if (a.error) { box.append(el('p', { class: 'error' }, a.error)); return box; }
    const known = s => s.up_s + s.down_s;
    box.append(el('table', {},
      el('tr', {}, el('td', {}, 'hosting reachable'), el('td', { 'data-share': 'hosting' }, pct(a.hosting.percent)), el('td', { class: 'acked' }, 'of the known time')),
      el('tr', {}, el('td', {}, 'both core sites'), el('td', { 'data-share': 'both' }, pct(a.both_cores.percent)), el('td', { class: 'acked' }, 'the hosting and its backup')),
      el('tr', {}, el('td', {}, 'not known'), el('td', { 'data-share': 'unknown' }, a.unknown),
        el('td', { class: 'acked' }, known(a.hosting) ? 'no collector watched, or a link had no data' : 'no history in this window'))));
    if (a.note) box.append(el('p', { class: 'acked' }, a.note));
    if (!a.outages.length) { box.append(el('p', {}, 'no outage')); return box; }
    box.append(el('table', {}, el('tr', {}, el('th', {}, 'start'), el('th', {}, 'end'), el('th', {}, 'lasted'), el('th', {}, 'lost'), el('th', {}, 'cause')),
      ...a.outages.map(o => el('tr', { 'data-outage': o.start, class: o.ongoing ? 'ongoing' : '' },
        el('td', {}, new Date(o.start).toLocaleString()), el('td', {}, o.ongoing ? 'ongoing' : new Date(o.end).toLocaleString() + (o.before_no_data ? ' (then no data)' : '')),
        el('td', {}, o.lasted), el('td', {}, o.lost_text),
        el('td', { 'data-cause': (o.causes || []).map(c => c.kind + ':' + c.name).join(' ') }, o.cause)))));
    box.append(el('p', { class: 'acked' }, 'from the state-change history (' + (a.source || 'sink') + '), computed ' + new Date(a.generated).toLocaleTimeString()));
    return box;
  }

  // --- keys -----------------------------------------------------------
  function keys(e) {
    if (e.target.tagName === 'INPUT') {
      if (e.key === 'Escape') { e.target.blur(); if (e.target.id === 'filter') { e.target.value = ''; noc.filter = ''; renderAlarms(); } }
      return;
    }
    const m = noc.map, list = visibleAlarms();
    const step = 80;
    switch (e.key) {
      case 'ArrowLeft': m.pan(step, 0); break;
      case 'ArrowRight': m.pan(-step, 0); break;
      case 'ArrowUp': m.pan(0, step); break;
      case 'ArrowDown': m.pan(0, -step); break;
      case '+': case '=': m.zoom(1.5); break;
      case '-': m.zoom(1 / 1.5); break;
      case 'f': m.fit(); break;
      case 'j': noc.sel = Math.min(list.length - 1, noc.sel + 1); renderAlarms(); break;
      case 'k': noc.sel = Math.max(0, noc.sel - 1); renderAlarms(); break;
      case 'Enter': if (list[noc.sel]) openAlarm(list[noc.sel][0]); break;
      case 'a': if (list[noc.sel]) ackAlarm(list[noc.sel][0].id); break;
      case ' ': if (list[noc.sel]) fold(list[noc.sel][0].parent || list[noc.sel][0].id); break;
      case '/': e.preventDefault(); $('filter').focus(); return;
      case 'w': document.body.classList.toggle('wall'); m.resize(); break;
      case '?': $('help').showModal(); break;
      case 'Escape': closePage(); break;
      default: return;
    }
    e.preventDefault();
  }

  async function start() {
    $('by').value = localStorage.getItem('tuyau.by') || '';
    const doc = await getJSON('/api/map');
    $('network').textContent = doc.network || 'tuyau';
    document.title = (doc.network || 'tuyau') + ' NOC';
    if (!$('by').value) $('by').value = doc.user || '';
    noc.map = new window.NocMap($('map'), doc, {
      link: id => { location.hash = '#/link/' + encodeURIComponent(id); },
      site: slug => { location.hash = '#/site/' + encodeURIComponent(slug); },
      rendered: () => { noc.ready = true; document.body.dataset.ready = '1'; },
    });
    $('filter').addEventListener('input', e => { noc.filter = e.target.value; noc.sel = 0; renderAlarms(); });
    $('close').addEventListener('click', closePage);
    $('help-btn').addEventListener('click', () => $('help').showModal());
    document.addEventListener('keydown', keys);
    window.addEventListener('hashchange', route);
    if (new URLSearchParams(location.search).has('wall')) document.body.classList.add('wall');
    setInterval(() => { $('clock').textContent = new Date().toLocaleTimeString(); }, 1000);
    // An open page also refreshes on its own: on a quiet network no state
    // event may follow the last change, and the server's availability
    // report can be a second behind the change that made it stale.
    setInterval(() => { if (noc.page) noc.page.refresh(); }, 3000);
    connect();
    route();
  }

  // Test and wall-screen helpers: the colour a cable or link is drawn in.
  noc.cableColor = label => { const i = noc.map.cables.findIndex(c => c[0] === label); return i < 0 ? null : noc.map.cableStyle[i]; };
  noc.linkColor = id => noc.map.linkStyle(id);

  start().catch(e => showError('start: ' + e.message));
})();
