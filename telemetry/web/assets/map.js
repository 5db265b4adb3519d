// The network map: sites and cables on a canvas in Web Mercator, drawn
// in batches by style so that 10,000 sites pan at the screen's rate.
'use strict';

(function () {
  const TAU = Math.PI * 2;
  const COLORS = { up: '#3fb950', mid: '#e3b341', hi: '#f0883e', down: '#ff3b30', unk: '#6e7681', cut: '#ff2bd6' };
  const ROLE = { core: '#79c0ff', aggregation: '#d2a8ff', member: '#c9d1d9' };

  // Web Mercator: longitude and latitude to a world square of side 1.
  function project(lat, lon) {
    const s = Math.sin(Math.max(-85.05, Math.min(85.05, lat)) * Math.PI / 180);
    return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  }

  class NocMap {
    constructor(canvas, doc, hooks) {
      this.cv = canvas;
      this.ctx = canvas.getContext('2d', { alpha: false });
      this.doc = doc;
      this.hooks = hooks;
      this.frames = 0;
      this.firstRender = 0;
      this.renderMs = []; // full renders
      this.blitMs = []; // moving frames
      const n = doc.sites.length;
      this.sx = new Float64Array(n);
      this.sy = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const p = project(doc.sites[i][3], doc.sites[i][4]);
        this.sx[i] = p[0]; this.sy[i] = p[1];
      }
      this.cables = doc.cables; // [label, a, b, links, ducts]
      this.cableStyle = new Array(this.cables.length).fill('unk');
      this.cableWidth = this.cables.map(c => width(c[3].reduce((s, id) => s + ((doc.links[id] || [0, 0, 0])[2] || 0), 0)));
      // Links drawn on no cable get a dashed line of their own.
      this.bare = Object.keys(doc.links).filter(id => { const l = doc.links[id]; return l[3].length === 0 && l[0] >= 0 && l[1] >= 0 && l[0] !== l[1]; });
      this.bareStyle = {};
      this.cutDucts = new Set();
      this.siteAlert = new Map();
      this.selected = null; // link id
      this.cx = 0.5; this.cy = 0.5; this.scale = 1024;
      this.tiles = new Map();
      this.pending = false;
      this.fit();
      this.bind();
      this.resize();
    }

    // setState colours each cable by the worst link riding it: down beats
    // utilization, and no data is grey.
    setState(state) {
      const links = state.links || {};
      const style = id => {
        const l = links[id];
        if (!l || l[0] === 'unknown') return 'unk';
        if (l[0] === 'down') return 'down';
        return l[1] >= 0.8 ? 'hi' : l[1] >= 0.5 ? 'mid' : 'up';
      };
      const rank = { down: 4, hi: 3, mid: 2, up: 1, unk: 0 };
      for (let i = 0; i < this.cables.length; i++) {
        let best = 'unk';
        for (const id of this.cables[i][3]) {
          const s = style(id);
          if (rank[s] > rank[best]) best = s;
        }
        this.cableStyle[i] = best;
      }
      for (const id of this.bare) this.bareStyle[id] = style(id);
      this.cutDucts = new Set();
      this.siteAlert = new Map();
      for (const a of state.alarms || []) {
        if (a.state !== 'active') continue;
        if (a.object_kind === 'duct') this.cutDucts.add(a.object);
        for (const s of a.lose_one_core || []) this.siteAlert.set(s, 'hi');
        for (const s of a.lose_hosting || []) this.siteAlert.set(s, 'down');
      }
      this.draw();
    }

    fit(filter) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i < this.sx.length; i++) {
        if (filter && !filter(i)) continue;
        x0 = Math.min(x0, this.sx[i]); x1 = Math.max(x1, this.sx[i]);
        y0 = Math.min(y0, this.sy[i]); y1 = Math.max(y1, this.sy[i]);
      }
      if (!isFinite(x0)) return;
      const w = this.cv.clientWidth || 800, h = this.cv.clientHeight || 600;
      this.cx = (x0 + x1) / 2; this.cy = (y0 + y1) / 2;
      // One site or two close ones: keep some 80 km of context around them.
      const span = Math.max(x1 - x0, (y1 - y0) * w / h, filter ? 2e-3 : 1e-6);
      this.scale = Math.min(w * 0.9 / span, 256 * 2 ** 19);
      this.draw();
    }

    // fitDuct centres the cables of a duct.
    fitDuct(name) {
      const ends = new Set();
      this.cables.forEach(c => { if (c[4].includes(name)) { ends.add(c[1]); ends.add(c[2]); } });
      if (ends.size) this.fit(i => ends.has(i));
    }

    fitLink(id) {
      const l = this.doc.links[id];
      if (l && l[0] >= 0 && l[1] >= 0) this.fit(i => i === l[0] || i === l[1]);
    }

    select(id) { this.selected = id; this.draw(); }

    resize() {
      const r = window.devicePixelRatio || 1;
      this.cv.width = Math.round(this.cv.clientWidth * r);
      this.cv.height = Math.round(this.cv.clientHeight * r);
      this.draw();
    }

    // draw asks for a frame; several asks in one frame draw once.
    draw() {
      this.dirty = true;
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.frame(); });
    }

    // moved is draw for pan and zoom: while the view moves the last full
    // frame is shifted and scaled (one image copy, smooth with 10,000
    // sites), and the network is drawn anew once it rests.
    moved() {
      this.moving = true;
      clearTimeout(this.rest);
      this.rest = setTimeout(() => { this.moving = false; this.draw(); }, 120);
      this.draw();
    }

    frame() {
      if (this.moving && this.snap && this.snapView) this.blit(); else this.render();
    }

    blit() {
      const t0 = performance.now();
      const r = window.devicePixelRatio || 1, c = this.ctx, v = this.snapView;
      const k = this.scale / v.scale;
      c.setTransform(1, 0, 0, 1, 0, 0);
      c.fillStyle = '#0b1016';
      c.fillRect(0, 0, this.cv.width, this.cv.height);
      // A world point at snapshot pixel p lands at (p - W/2)k + W/2 + (v.c - c)scale.
      const dx = ((v.cx - this.cx) * this.scale + this.w / 2 - this.w / 2 * k) * r;
      const dy = ((v.cy - this.cy) * this.scale + this.h / 2 - this.h / 2 * k) * r;
      c.drawImage(this.snap, dx, dy, this.snap.width * k, this.snap.height * k);
      this.frames++;
      if (this.blitMs.push(performance.now() - t0) > 600) this.blitMs.shift();
    }

    // keep copies the frame just drawn, for blit.
    keep() {
      if (!this.snap) this.snap = document.createElement('canvas');
      if (this.snap.width !== this.cv.width || this.snap.height !== this.cv.height) {
        this.snap.width = this.cv.width; this.snap.height = this.cv.height;
      }
      this.snap.getContext('2d').drawImage(this.cv, 0, 0);
      this.snapView = { cx: this.cx, cy: this.cy, scale: this.scale };
    }

    toScreen(i) {
      return [(this.sx[i] - this.cx) * this.scale + this.w / 2, (this.sy[i] - this.cy) * this.scale + this.h / 2];
    }

    render() {
      const t0 = performance.now();
      const r = window.devicePixelRatio || 1;
      const c = this.ctx;
      this.w = this.cv.width / r; this.h = this.cv.height / r;
      c.setTransform(r, 0, 0, r, 0, 0);
      c.fillStyle = '#0b1016';
      c.fillRect(0, 0, this.w, this.h);
      if (this.doc.tile_url) this.drawTiles();
      const n = this.sx.length;
      const px = new Float32Array(n), py = new Float32Array(n);
      const hw = this.w / 2, hh = this.h / 2;
      for (let i = 0; i < n; i++) {
        px[i] = (this.sx[i] - this.cx) * this.scale + hw;
        py[i] = (this.sy[i] - this.cy) * this.scale + hh;
      }
      const off = (a, b) => (px[a] < 0 && px[b] < 0) || (px[a] > this.w && px[b] > this.w) ||
        (py[a] < 0 && py[b] < 0) || (py[a] > this.h && py[b] > this.h);
      // Batches: one path per style and width.
      const batches = new Map();
      const add = (key, a, b) => {
        let p = batches.get(key);
        if (!p) { p = []; batches.set(key, p); }
        p.push(a, b);
      };
      const halo = [];
      for (let i = 0; i < this.cables.length; i++) {
        const k = this.cables[i];
        if (off(k[1], k[2])) continue;
        // Shorter than a pixel: the site dots cover it.
        if (Math.abs(px[k[1]] - px[k[2]]) + Math.abs(py[k[1]] - py[k[2]]) < 1) continue;
        if (this.cutDucts.size && k[4].some(d => this.cutDucts.has(d))) halo.push(k[1], k[2]);
        add(this.cableStyle[i] + '|' + this.cableWidth[i], k[1], k[2]);
      }
      const stroke = (pts, color, w, dash) => {
        c.beginPath();
        for (let j = 0; j < pts.length; j += 2) {
          c.moveTo(px[pts[j]], py[pts[j]]);
          c.lineTo(px[pts[j + 1]], py[pts[j + 1]]);
        }
        c.strokeStyle = color; c.lineWidth = w; c.setLineDash(dash || []);
        c.stroke();
      };
      c.lineCap = this.cables.length > 3000 ? 'butt' : 'round'; // round caps cost on big networks
      if (halo.length) { c.globalAlpha = 0.45; stroke(halo, COLORS.cut, 12); c.globalAlpha = 1; }
      // Grey first, red last: a down cable is never hidden under a live one.
      const order = ['unk', 'up', 'mid', 'hi', 'down'];
      const keys = [...batches.keys()].sort((a, b) => order.indexOf(a.split('|')[0]) - order.indexOf(b.split('|')[0]));
      for (const key of keys) {
        const [st, w] = key.split('|');
        stroke(batches.get(key), COLORS[st], +w);
      }
      for (const id of this.bare) {
        const l = this.doc.links[id];
        if (!off(l[0], l[1])) stroke([l[0], l[1]], COLORS[this.bareStyle[id] || 'unk'], 1.5, [5, 4]);
      }
      if (this.selected && this.doc.links[this.selected]) {
        const l = this.doc.links[this.selected];
        const pts = l[3].length ? l[3].flatMap(ci => [this.cables[ci][1], this.cables[ci][2]]) : [l[0], l[1]];
        if (pts.every(p => p >= 0)) { stroke(pts, '#ffffff', 9); stroke(pts, COLORS[this.linkStyle(this.selected)], 4); }
      }
      this.drawSites(c, px, py);
      if (this.cutDucts.size) this.drawCutLabels(c, px, py);
      this.frames++;
      this.lastFrameMs = performance.now() - t0;
      // The last full render times, for the benchmark.
      if (this.renderMs.push(this.lastFrameMs) > 600) this.renderMs.shift();
      this.keep();
      if (!this.firstRender) {
        this.firstRender = performance.now();
        if (this.hooks.rendered) this.hooks.rendered();
      }
    }

    drawSites(c, px, py) {
      const n = this.sx.length;
      const big = this.scale > 20000;
      const visible = [];
      const groups = { core: [], aggregation: [], member: [] };
      for (let i = 0; i < n; i++) {
        if (px[i] < -5 || py[i] < -5 || px[i] > this.w + 5 || py[i] > this.h + 5) continue;
        visible.push(i);
        (groups[this.doc.sites[i][2]] || groups.member).push(i);
      }
      const dot = (list, color, r) => {
        c.fillStyle = color;
        c.beginPath();
        for (const i of list) {
          if (r <= 1.5) c.rect(px[i] - r, py[i] - r, 2 * r, 2 * r);
          else { c.moveTo(px[i] + r, py[i]); c.arc(px[i], py[i], r, 0, TAU); }
        }
        c.fill();
      };
      const dense = visible.length > 2000;
      dot(groups.member, ROLE.member, dense ? 1 : big ? 4 : 2.5);
      dot(groups.aggregation, ROLE.aggregation, dense ? 2 : 5);
      c.fillStyle = ROLE.core;
      for (const i of groups.core) c.fillRect(px[i] - 6, py[i] - 6, 12, 12);
      for (const [slug, st] of this.siteAlert) {
        const i = this.siteIndex(slug);
        if (i < 0) continue;
        c.strokeStyle = COLORS[st]; c.lineWidth = 2.5; c.setLineDash([]);
        c.beginPath(); c.arc(px[i], py[i], 8, 0, TAU); c.stroke();
      }
      if (visible.length <= 250) {
        c.font = '12px system-ui, sans-serif';
        c.fillStyle = '#c9d1d9';
        c.textBaseline = 'middle';
        for (const i of visible) c.fillText(this.doc.sites[i][1], px[i] + 8, py[i]);
      }
    }

    drawCutLabels(c, px, py) {
      for (const d of this.cutDucts) {
        let x = 0, y = 0, k = 0;
        for (const cb of this.cables) if (cb[4].includes(d)) { x += px[cb[1]] + px[cb[2]]; y += py[cb[1]] + py[cb[2]]; k += 2; }
        if (!k) continue;
        x /= k; y /= k;
        const text = 'CUT ' + d;
        c.font = 'bold 13px system-ui, sans-serif';
        const w = c.measureText(text).width;
        c.fillStyle = '#000c'; c.fillRect(x + 10, y - 20, w + 10, 20);
        c.fillStyle = COLORS.cut; c.fillText(text, x + 15, y - 10);
      }
    }

    siteIndex(slug) {
      if (!this.slugIdx) { this.slugIdx = new Map(); this.doc.sites.forEach((s, i) => this.slugIdx.set(s[0], i)); }
      const i = this.slugIdx.get(slug);
      return i === undefined ? -1 : i;
    }

    linkStyle(id) {
      const l = this.doc.links[id];
      if (!l) return 'unk';
      if (l[3].length) return this.cableStyle[l[3][0]];
      return this.bareStyle[id] || 'unk';
    }

    // drawTiles lays base-map tiles under the network, only when a tile
    // URL is configured (no internet otherwise).
    drawTiles() {
      const z = Math.max(0, Math.min(19, Math.round(Math.log2(this.scale / 256))));
      const n = 2 ** z, size = this.scale / n;
      const x0 = Math.floor((this.cx - this.w / 2 / this.scale) * n), x1 = Math.floor((this.cx + this.w / 2 / this.scale) * n);
      const y0 = Math.floor((this.cy - this.h / 2 / this.scale) * n), y1 = Math.floor((this.cy + this.h / 2 / this.scale) * n);
      for (let x = x0; x <= x1; x++) for (let y = Math.max(0, y0); y <= Math.min(n - 1, y1); y++) {
        const key = z + '/' + x + '/' + y;
        let img = this.tiles.get(key);
        if (!img) {
          if (this.tiles.size > 600) this.tiles.clear();
          img = new Image();
          img.onload = () => this.draw();
          img.src = this.doc.tile_url.replace('{z}', z).replace('{x}', ((x % n) + n) % n).replace('{y}', y).replace('{s}', 'a');
          this.tiles.set(key, img);
        }
        if (img.complete && img.naturalWidth) {
          this.ctx.drawImage(img, (x / n - this.cx) * this.scale + this.w / 2, (y / n - this.cy) * this.scale + this.h / 2, size + 0.5, size + 0.5);
        }
      }
      this.ctx.fillStyle = '#0b1016aa';
      this.ctx.fillRect(0, 0, this.w, this.h);
    }

    zoom(f, x, y) {
      const ns = Math.max(64, Math.min(256 * 2 ** 20, this.scale * f));
      if (x === undefined) { x = this.w / 2; y = this.h / 2; }
      // Keep the world point under the cursor in place.
      const wx = this.cx + (x - this.w / 2) / this.scale, wy = this.cy + (y - this.h / 2) / this.scale;
      this.scale = ns;
      this.cx = wx - (x - this.w / 2) / ns; this.cy = wy - (y - this.h / 2) / ns;
      this.moved();
    }

    pan(dx, dy) { this.cx -= dx / this.scale; this.cy -= dy / this.scale; this.moved(); }

    // pick finds the site or cable under a point of the canvas.
    pick(x, y) {
      let best = null, bd = 8 * 8;
      for (let i = 0; i < this.sx.length; i++) {
        const [sx, sy] = this.toScreen(i);
        const d = (sx - x) ** 2 + (sy - y) ** 2;
        if (d < bd) { bd = d; best = { site: i }; }
      }
      if (best) return best;
      bd = 6;
      for (let i = 0; i < this.cables.length; i++) {
        const k = this.cables[i];
        const [ax, ay] = this.toScreen(k[1]), [bx, by] = this.toScreen(k[2]);
        const d = segDist(x, y, ax, ay, bx, by);
        if (d < bd) { bd = d; best = { cable: i }; }
      }
      return best;
    }

    bind() {
      const cv = this.cv;
      let drag = null, moved = false;
      cv.addEventListener('pointerdown', e => { drag = [e.clientX, e.clientY]; moved = false; cv.setPointerCapture(e.pointerId); cv.classList.add('drag'); });
      cv.addEventListener('pointermove', e => {
        if (drag) {
          const dx = e.clientX - drag[0], dy = e.clientY - drag[1];
          if (Math.abs(dx) + Math.abs(dy) > 2) moved = true;
          drag = [e.clientX, e.clientY];
          this.pan(dx, dy);
          return;
        }
        this.hover(e.offsetX, e.offsetY);
      });
      cv.addEventListener('pointerup', e => {
        cv.classList.remove('drag');
        const was = drag; drag = null;
        if (was && !moved) {
          const p = this.pick(e.offsetX, e.offsetY);
          if (p && p.site !== undefined) this.hooks.site(this.doc.sites[p.site][0]);
          else if (p && p.cable !== undefined && this.cables[p.cable][3].length) this.hooks.link(this.cables[p.cable][3][0]);
        }
      });
      cv.addEventListener('wheel', e => { e.preventDefault(); this.zoom(e.deltaY < 0 ? 1.25 : 0.8, e.offsetX, e.offsetY); }, { passive: false });
      window.addEventListener('resize', () => this.resize());
    }

    hover(x, y) {
      const tip = document.getElementById('tip');
      const p = this.pick(x, y);
      if (!p) { tip.hidden = true; return; }
      let text;
      if (p.site !== undefined) {
        const s = this.doc.sites[p.site];
        text = s[1] + ' (' + s[2] + ')';
      } else {
        const k = this.cables[p.cable];
        text = 'cable ' + k[0] + (k[4].length ? '\nin ' + k[4].join(', ') : '') + '\nlinks ' + k[3].join(', ');
      }
      tip.textContent = text;
      tip.style.left = (x + 14) + 'px';
      tip.style.top = (y + 10) + 'px';
      tip.hidden = false;
    }
  }

  // width by capacity: 1 px for 1 Gbit/s, about 5 for 100 Gbit/s.
  function width(mbps) {
    if (!mbps) return 1.5;
    return Math.round((1 + 2 * Math.log10(1 + mbps / 1000)) * 2) / 2;
  }

  function segDist(x, y, ax, ay, bx, by) {
    const dx = bx - ax, dy = by - ay, l = dx * dx + dy * dy;
    let t = l ? ((x - ax) * dx + (y - ay) * dy) / l : 0;
    t = Math.max(0, Math.min(1, t));
    return Math.hypot(x - ax - t * dx, y - ay - t * dy);
  }

  window.NocMap = NocMap;
  window.NocColors = COLORS;
})();
