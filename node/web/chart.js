// chart.js - a small grouped bar chart drawn as inline SVG (no library):
// one group per label, one bar per series, a y axis with a few round
// ticks and a legend. Elements get classes, not styles (the pages' CSP
// allows no inline style); colours come from the page's CSS.
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// niceMax: a round number at or above max, and a tick step for it.
function niceMax(max) {
  if (max <= 5) return { top: Math.max(max, 1), step: 1 };
  const mag = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = (m * mag) / 5;
    if (step * 5 >= max) return { top: step * 5, step };
  }
  return { top: max, step: max / 5 };
}

// barChart returns an <svg> of series (each {name, cls, values}) over
// labels, with title (for screen readers) and at most `every`-th label
// shown when there are many.
export function barChart({ labels, series, title, width = 720, height = 240 }) {
  const left = 40, right = 8, top = 28, bottom = 34;
  const w = Math.max(width, left + right + labels.length * (series.length * 6 + 4));
  const plotW = w - left - right, plotH = height - top - bottom;
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const { top: yTop, step } = niceMax(max);
  const root = svg('svg', { viewBox: `0 0 ${w} ${height}`, width: w, height, role: 'img', class: 'bars' });
  root.append(svg('title', {}, title));
  for (let v = 0; v <= yTop + 1e-9; v += step) {
    const y = top + plotH - (v / yTop) * plotH;
    root.append(svg('line', { x1: left, x2: w - right, y1: y, y2: y, class: v ? 'grid' : 'axis' }));
    root.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? v : v.toFixed(1)));
  }
  const groupW = plotW / Math.max(labels.length, 1);
  const barW = Math.max(2, Math.min(18, (groupW - 4) / series.length));
  const every = Math.max(1, Math.ceil(labels.length / Math.floor(plotW / 70)));
  labels.forEach((label, i) => {
    const x0 = left + i * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, k) => {
      const v = s.values[i] || 0, h = (v / yTop) * plotH;
      const bar = svg('rect', { x: x0 + k * barW, y: top + plotH - h, width: barW - 1, height: h, class: s.cls });
      bar.append(svg('title', {}, `${label}: ${s.name} ${v}`));
      root.append(bar);
    });
    if (i % every === 0)
      root.append(svg('text', { x: left + i * groupW + groupW / 2, y: height - bottom + 16, 'text-anchor': 'middle' }, label));
  });
  let lx = left;
  for (const s of series) {
    root.append(svg('rect', { x: lx, y: 8, width: 12, height: 12, class: s.cls }));
    const tx = svg('text', { x: lx + 16, y: 18 }, s.name);
    root.append(tx);
    lx += 24 + s.name.length * 7;
  }
  return root;
}
