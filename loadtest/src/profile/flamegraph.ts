/**
 * Turns a V8 .cpuprofile (what `node --cpu-prof` writes) into a flame graph: a standalone
 * SVG with a tooltip on every frame (the runbook's py-spy `profile.svg`), and an HTML page
 * with the same graph plus click-to-zoom, search and a table of the hottest functions.
 * Self-contained: no CDN, no npm package; any browser opens it from disk.
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Frame {
  name: string;
  location: string;
  category: "app" | "dependency" | "node" | "native" | "gc" | "root";
  self: number;
  total: number;
  children: Frame[];
}

export interface FlameGraphOptions {
  title?: string;
  /** Leave out the "(idle)" samples (the process waiting for I/O). Default true. */
  excludeIdle?: boolean;
  /** Strip this prefix (the repo root) from file URLs. */
  rootDir?: string;
  width?: number;
}

function categorise(name: string, url: string): Frame["category"] {
  if (name === "(garbage collector)") return "gc";
  if (url === "") return "native";
  if (url.startsWith("node:") || url.startsWith("internal/")) return "node";
  if (url.includes("/node_modules/")) return "dependency";
  return "app";
}

function shortLocation(url: string, line: number, rootDir?: string): string {
  if (url === "") return "";
  let u = url.replace(/^file:\/\//, "");
  if (rootDir && u.startsWith(`${rootDir}/`)) u = u.slice(rootDir.length + 1);
  const nm = u.lastIndexOf("/node_modules/");
  if (nm >= 0) u = u.slice(nm + "/node_modules/".length);
  return `${u}:${line + 1}`;
}

/** Builds the merged call tree (identical frames under one parent are merged). */
export function buildFrameTree(profile: CpuProfile, opts: FlameGraphOptions = {}): Frame {
  const byId = new Map<number, CpuProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  // Prefer the samples array (exact); fall back to hitCount.
  const hits = new Map<number, number>();
  if (profile.samples && profile.samples.length > 0) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  } else {
    for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  }
  const rootNode = profile.nodes[0];
  const root: Frame = { name: "all", location: "", category: "root", self: 0, total: 0, children: [] };
  if (!rootNode) return root;
  const excludeIdle = opts.excludeIdle ?? true;

  const visit = (node: CpuProfileNode, parent: Frame) => {
    const name = node.callFrame.functionName || "(anonymous)";
    if (excludeIdle && name === "(idle)") return;
    const location = shortLocation(node.callFrame.url, node.callFrame.lineNumber, opts.rootDir);
    let frame = parent.children.find((c) => c.name === name && c.location === location);
    if (!frame) {
      frame = {
        name,
        location,
        category: categorise(name, node.callFrame.url),
        self: 0,
        total: 0,
        children: [],
      };
      parent.children.push(frame);
    }
    frame.self += hits.get(node.id) ?? 0;
    for (const childId of node.children ?? []) {
      const child = byId.get(childId);
      if (child) visit(child, frame);
    }
  };
  // V8's root node is "(root)"; its children are the real top frames.
  for (const childId of rootNode.children ?? []) {
    const child = byId.get(childId);
    if (child) visit(child, root);
  }
  const total = (f: Frame): number => {
    f.total = f.self + f.children.reduce((sum, c) => sum + total(c), 0);
    f.children.sort((a, b) => a.name.localeCompare(b.name) || a.location.localeCompare(b.location));
    return f.total;
  };
  total(root);
  return root;
}

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;",
  );
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 4294967296;
}

function color(frame: Frame): string {
  const v = hash(frame.name);
  switch (frame.category) {
    case "app":
      return `hsl(${Math.round(15 + v * 25)},90%,${Math.round(55 + v * 10)}%)`;
    case "dependency":
      return `hsl(${Math.round(45 + v * 15)},85%,${Math.round(50 + v * 10)}%)`;
    case "node":
      return `hsl(${Math.round(200 + v * 20)},45%,${Math.round(65 + v * 10)}%)`;
    case "gc":
      return "hsl(280,50%,65%)";
    case "native":
      return `hsl(0,0%,${Math.round(70 + v * 10)}%)`;
    default:
      return "hsl(0,0%,85%)";
  }
}

interface Placed {
  frame: Frame;
  x: number;
  w: number;
  depth: number;
}

function layout(root: Frame, width: number): { placed: Placed[]; maxDepth: number } {
  const placed: Placed[] = [];
  let maxDepth = 0;
  if (root.total === 0) return { placed, maxDepth };
  const walk = (f: Frame, x: number, depth: number) => {
    const w = (f.total / root.total) * width;
    if (w < 0.3) return;
    placed.push({ frame: f, x, w, depth });
    maxDepth = Math.max(maxDepth, depth);
    let cx = x;
    for (const c of f.children) {
      walk(c, cx, depth + 1);
      cx += (c.total / root.total) * width;
    }
  };
  walk(root, 0, 0);
  return { placed, maxDepth };
}

const ROW = 17;
const TOP = 40;

function frameLabel(p: Placed): string {
  return p.frame.location ? `${p.frame.name} (${p.frame.location})` : p.frame.name;
}

function truncate(text: string, width: number): string {
  const chars = Math.floor((width - 6) / 6.6);
  if (chars < 3) return "";
  return text.length <= chars ? text : `${text.slice(0, chars - 2)}..`;
}

function svgBody(root: Frame, width: number, title: string): { svg: string; height: number } {
  const { placed, maxDepth } = layout(root, width);
  const height = TOP + (maxDepth + 1) * ROW + 10;
  const parts: string[] = [];
  parts.push(
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fdfdfd"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  );
  for (const p of placed) {
    // Flame graph: the root at the bottom, callees stacked above their callers.
    const y = height - 10 - (p.depth + 1) * ROW;
    const pct = root.total > 0 ? ((p.frame.total / root.total) * 100).toFixed(2) : "0";
    const selfPct = root.total > 0 ? ((p.frame.self / root.total) * 100).toFixed(2) : "0";
    const tip = `${frameLabel(p)}\n${p.frame.total} samples (${pct}%), self ${p.frame.self} (${selfPct}%)`;
    parts.push(
      `<g class="f" data-x="${p.x.toFixed(2)}" data-w="${p.w.toFixed(2)}" data-d="${p.depth}" data-l="${esc(frameLabel(p))}">` +
        `<title>${esc(tip)}</title>` +
        `<rect x="${p.x.toFixed(2)}" y="${y}" width="${Math.max(0.1, p.w - 0.5).toFixed(2)}" height="${ROW - 1}" rx="2" fill="${color(p.frame)}"/>` +
        `<text x="${(p.x + 3).toFixed(2)}" y="${y + ROW - 5}" font-size="11">${esc(truncate(frameLabel(p), p.w))}</text></g>`,
    );
  }
  return {
    svg: `<svg xmlns="http://www.w3.org/2000/svg" id="flame" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace">${parts.join("")}</svg>`,
    height,
  };
}

/** The standalone SVG flame graph (hover a frame for its samples). */
export function renderFlameGraphSvg(profile: CpuProfile, opts: FlameGraphOptions = {}): string {
  const root = buildFrameTree(profile, opts);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svgBody(root, opts.width ?? 1200, opts.title ?? "CPU flame graph").svg}\n`;
}

/** Functions by self time (samples spent in the function itself). */
export function hottestFunctions(
  root: Frame,
  limit = 25,
): Array<{ label: string; self: number; share: number }> {
  const selfBy = new Map<string, number>();
  const walk = (f: Frame) => {
    if (f.category !== "root") {
      const label = f.location ? `${f.name} (${f.location})` : f.name;
      selfBy.set(label, (selfBy.get(label) ?? 0) + f.self);
    }
    for (const c of f.children) walk(c);
  };
  walk(root);
  return [...selfBy.entries()]
    .filter(([, self]) => self > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([label, self]) => ({ label, self, share: root.total > 0 ? self / root.total : 0 }));
}

const ZOOM_SCRIPT = `
(function(){
  var svg=document.getElementById('flame'); if(!svg) return;
  var W=+svg.getAttribute('width'); var gs=[].slice.call(svg.querySelectorAll('g.f'));
  function label(g,w){var t=g.getAttribute('data-l');var n=Math.floor((w-6)/6.6);return n<3?'':(t.length<=n?t:t.slice(0,n-2)+'..');}
  function zoom(x0,w0){gs.forEach(function(g){var x=+g.getAttribute('data-x'),w=+g.getAttribute('data-w');
    var r=g.querySelector('rect'),t=g.querySelector('text');
    var inside=x+w>x0+0.01&&x<x0+w0-0.01;
    if(!inside){g.style.display='none';return;}
    var nx=(Math.max(x,x0)-x0)/w0*W, nw=(Math.min(x+w,x0+w0)-Math.max(x,x0))/w0*W;
    if(nw<0.3){g.style.display='none';return;}
    g.style.display='';r.setAttribute('x',nx);r.setAttribute('width',Math.max(0.1,nw-0.5));t.setAttribute('x',nx+3);t.textContent=label(g,nw);});}
  gs.forEach(function(g){g.addEventListener('click',function(){zoom(+g.getAttribute('data-x'),+g.getAttribute('data-w'));});});
  document.getElementById('reset').addEventListener('click',function(){zoom(0,W);});
  document.getElementById('search').addEventListener('input',function(e){var q=e.target.value.toLowerCase();
    gs.forEach(function(g){var r=g.querySelector('rect');if(!r.getAttribute('data-fill'))r.setAttribute('data-fill',r.getAttribute('fill'));
      r.setAttribute('fill',q&&g.getAttribute('data-l').toLowerCase().indexOf(q)>=0?'#e040fb':r.getAttribute('data-fill'));});});
})();`;

/** The HTML flame graph: the SVG with click-to-zoom and search, plus the hottest functions. */
export function renderFlameGraphHtml(
  profile: CpuProfile,
  opts: FlameGraphOptions & { notes?: string[] } = {},
): string {
  const width = opts.width ?? 1200;
  const title = opts.title ?? "CPU flame graph";
  const root = buildFrameTree(profile, opts);
  const all = buildFrameTree(profile, { ...opts, excludeIdle: false });
  const idle = all.total - root.total;
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const { svg } = svgBody(root, width, title);
  const hot = hottestFunctions(root)
    .map(
      (h) =>
        `<tr><td class="n">${h.self}</td><td class="n">${(h.share * 100).toFixed(2)}%</td><td>${esc(h.label)}</td></tr>`,
    )
    .join("");
  const notes = (opts.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:16px;color:#222}
svg g.f{cursor:pointer} svg g.f:hover rect{stroke:#000;stroke-width:0.5}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:3px 8px;text-align:left} td.n{text-align:right}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border-radius:3px}</style></head><body>
<h1 style="font-size:20px">${esc(title)}</h1>
<p>${all.total} samples over ${seconds.toFixed(1)} s; ${root.total} on CPU${
    idle > 0 ? `, ${idle} idle (${((idle / Math.max(1, all.total)) * 100).toFixed(1)}%, left out)` : ""
  }. Width = share of CPU samples; callers below, callees above. Click a frame to zoom, hover for numbers.</p>
<ul>${notes}</ul>
<p class="legend"><span style="background:hsl(25,90%,60%)">service code</span><span style="background:hsl(52,85%,55%)">npm dependencies</span><span style="background:hsl(210,45%,70%)">Node internals</span><span style="background:hsl(0,0%,75%)">native / V8</span><span style="background:hsl(280,50%,65%)">garbage collector</span>
<button id="reset">reset zoom</button> <input id="search" placeholder="highlight: e.g. JSON, redis, readFile"></p>
${svg}
<h2 style="font-size:16px">Hottest functions (self time)</h2>
<table><thead><tr><th>samples</th><th>share</th><th>function (location)</th></tr></thead><tbody>${hot}</tbody></table>
<script>${ZOOM_SCRIPT}</script>
</body></html>
`;
}
