#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Draw refslab_bench's JSON as one SVG of its scaling curves.

usage: python3 bench/plot.py [JSON] [-o SVG]

JSON is what `refslab_bench --json FILE` wrote (or its stdout with
`--json`, table first: the JSON starts at the first line that is "{").
Without JSON, build/bench/stock612.json; without -o, the JSON's name with
.svg.  Standard library only: the SVG is written by hand.  What each panel
means: bench/README.md.
"""

import json
import math
import os
import sys
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
PW, PH = 520, 330          # one panel
ML, MR, MT, MB = 62, 16, 34, 46   # its margins
COLS = 2


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.lstrip().startswith("{"):
        lines = text.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.rstrip() == "{":
                text = "".join(lines[i:])
                break
    return json.loads(text)


def fmt(v):
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6:
        return "%gM" % (v / 1e6)
    if a >= 1e3:
        return "%gk" % (v / 1e3)
    if a >= 1:
        return "%g" % round(v, 2)
    return "%g" % round(v, 3)


class Axis:
    def __init__(self, lo, hi, log, a, b):
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
        if hi <= lo:
            hi = lo + 1
        self.lo, self.hi, self.log, self.a, self.b = lo, hi, log, a, b

    def __call__(self, v):
        if self.log:
            v = math.log10(max(v, 1e-12))
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)

    def ticks(self):
        if self.log:
            return [10 ** e for e in range(math.floor(self.lo),
                                           math.ceil(self.hi) + 1)
                    if self.lo - 1e-9 <= e <= self.hi + 1e-9]
        span = self.hi - self.lo
        step = 10 ** math.floor(math.log10(span / 5))
        for m in (1, 2, 5, 10):
            if span / (step * m) <= 6:
                step *= m
                break
        t = math.ceil(self.lo / step) * step
        out = []
        while t <= self.hi + 1e-9:
            out.append(round(t, 10))
            t += step
        return out


class Panel:
    def __init__(self, svg, x0, y0, title):
        self.svg, self.x0, self.y0 = svg, x0, y0
        self.left, self.right = x0 + ML, x0 + PW - MR
        self.top, self.bottom = y0 + MT, y0 + PH - MB
        svg.append('<text x="%d" y="%d" class="title">%s</text>'
                   % (x0 + 10, y0 + 20, escape(title)))

    def axes(self, xr, yr, xlog=False, ylog=False, xlabel="", ylabel="",
             xticks=None):
        self.x = Axis(xr[0], xr[1], xlog, self.left, self.right)
        self.y = Axis(yr[0], yr[1], ylog, self.bottom, self.top)
        s = self.svg
        s.append('<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>'
                 % (self.left, self.top, self.right - self.left,
                    self.bottom - self.top))
        for t in self.y.ticks():
            py = self.y(t)
            s.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>'
                     % (self.left, self.right, py, py))
            s.append('<text x="%d" y="%.1f" class="ytick">%s</text>'
                     % (self.left - 5, py + 4, fmt(t)))
        for t in (xticks if xticks is not None else self.x.ticks()):
            px = self.x(t)
            s.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>'
                     % (px, px, self.top, self.bottom))
            s.append('<text x="%.1f" y="%d" class="xtick">%s</text>'
                     % (px, self.bottom + 15, fmt(t)))
        s.append('<text x="%d" y="%d" class="xlabel">%s</text>'
                 % ((self.left + self.right) / 2, self.bottom + 34,
                    escape(xlabel)))
        s.append('<text transform="translate(%d,%d) rotate(-90)" '
                 'class="xlabel">%s</text>'
                 % (self.x0 + 16, (self.top + self.bottom) / 2,
                    escape(ylabel)))

    def hline(self, v, label, color="#888"):
        py = self.y(v)
        self.svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" '
                        'stroke="%s" stroke-dasharray="6,4"/>'
                        % (self.left, self.right, py, py, color))
        self.svg.append('<text x="%d" y="%.1f" class="note" fill="%s">%s</text>'
                        % (self.right - 4, py - 4, color, escape(label)))

    def series(self, pts, color, label, idx, dash=False):
        """pts: [(x, median, lo, hi)]"""
        pts = [p for p in pts if p[1] is not None and p[1] > 0]
        if not pts:
            return
        s = self.svg
        path = " ".join("%.1f,%.1f" % (self.x(p[0]), self.y(p[1])) for p in pts)
        s.append('<polyline points="%s" fill="none" stroke="%s" '
                 'stroke-width="2"%s/>'
                 % (path, color, ' stroke-dasharray="3,3"' if dash else ""))
        for x, m, lo, hi in pts:
            px = self.x(x)
            if lo and hi and lo > 0 and hi > 0:
                s.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" '
                         'stroke="%s" stroke-width="1"/>'
                         % (px, px, self.y(lo), self.y(hi), color))
            s.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>'
                     % (px, self.y(m), color))
        ly = self.top + 14 + 15 * idx
        s.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" '
                 'stroke-width="2"%s/>'
                 % (self.left + 8, self.left + 26, ly - 4, ly - 4, color,
                    ' stroke-dasharray="3,3"' if dash else ""))
        s.append('<text x="%d" y="%d" class="legend">%s</text>'
                 % (self.left + 30, ly, escape(label)))

    def message(self, text):
        self.svg.append('<text x="%d" y="%d" class="note">%s</text>'
                        % (self.left + 10, (self.top + self.bottom) / 2,
                           escape(text)))


def yrange(values, log, floor=None):
    vals = [v for v in values if v is not None and v > 0]
    if floor is not None:
        vals.append(floor)
    if not vals:
        return (0.1, 1) if log else (0, 1)
    lo, hi = min(vals), max(vals)
    if log:
        return (10 ** math.floor(math.log10(lo)),
                10 ** math.ceil(math.log10(hi)))
    return (0, hi * 1.15)


def panel_batch(p, d):
    rows = [m for m in d.get("measurements", [])
            if m["group"] == "batch" and m["ok"]]
    names = []
    for m in rows:
        if m["name"] not in names:
            names.append(m["name"])
    allv = [m["x_null"]["min"] for m in rows] + [m["x_null"]["max"] for m in rows]
    sizes = sorted({m["param"] for m in rows}) or [1, 128]
    p.axes((min(sizes), max(sizes)), yrange(allv + [1, 0.15], True),
           xlog=True, ylog=True, xlabel="operations per BATCH ioctl",
           ylabel="ns per operation / null ioctl", xticks=sizes)
    p.hline(1, "one null ioctl (create+put target at 128)")
    p.hline(0.15, "get+put target at 128: 0.15", "#d62728")
    for i, n in enumerate(names):
        pts = [(m["param"], m["x_null"]["median"], m["x_null"]["min"],
                m["x_null"]["max"]) for m in rows if m["name"] == n]
        p.series(sorted(pts), COLORS[i % len(COLORS)], n, i)


def panel_live(p, d):
    live = [r for r in d.get("live", []) if r["reached"] > 0]
    base = live[0] if live else None
    if not base or len(live) < 2:
        p.message("fewer than two live-object levels")
        return
    series = []
    for key, label in (("hot_x_null", "hot (one handle)"),
                       ("spread_x_null", "spread (random handles)")):
        b = base.get(key) or 0
        series.append((label, [(r["reached"], r[key] / b if b > 0 else None,
                                None, None) for r in live]))
    allv = [v for _, pts in series for _, v, _, _ in pts]
    lo, hi = yrange(allv + [1.1], False)
    p.axes((1, max(r["reached"] for r in live)), (0, hi), xlog=True,
           xlabel="live objects held by the file",
           ylabel="get+put / the same at 1 live object")
    p.hline(1.1, "target at 1M: 1.1", "#d62728")
    for i, (label, pts) in enumerate(series):
        p.series(pts, COLORS[i], label, i)


def panel_threads(p, d):
    rows = [t for t in d.get("threads", []) if t["ok"]]
    if not rows:
        p.message("no thread measurements")
        return
    kinds = []
    for t in rows:
        if t["kind"] not in kinds:
            kinds.append(t["kind"])
    cpus = d.get("cpus", 1)
    counts = sorted({t["threads"] for t in rows})
    allv = [t["ratio"]["max"] for t in rows] + [min(max(counts), cpus)]
    p.axes((min(counts), max(counts)), yrange(allv, False),
           xlabel="threads (%d vCPUs)" % cpus,
           ylabel="throughput / 1 thread", xticks=counts)
    ideal = [(c, float(min(c, cpus)), None, None) for c in counts]
    p.series(ideal, "#999", "ideal (vCPUs)", 0, dash=True)
    for i, k in enumerate(kinds):
        pts = [(t["threads"], t["ratio"]["median"], t["ratio"]["min"],
                t["ratio"]["max"]) for t in rows if t["kind"] == k]
        p.series(sorted(pts), COLORS[i % len(COLORS)], k, i + 1,
                 dash=(k == "null_ioctl"))
    if cpus >= 2:
        px, py = p.x(2), p.y(1.6)
        p.svg.append('<path d="M%.1f %.1f l-6 0 l6 -6 l6 6 z" fill="#d62728"/>'
                     % (px, py))
        p.svg.append('<text x="%.1f" y="%.1f" class="note" fill="#d62728">'
                     'target 1.6</text>' % (px + 8, py + 12))


def panel_single(p, d):
    rows = [m for m in d.get("measurements", [])
            if m["group"] in ("single", "baseline", "peer") and m["ok"]]
    if not rows:
        p.message("no single-operation measurements")
        return
    s = p.svg
    top, bottom = p.top, p.bottom
    step = (bottom - top) / max(len(rows), 1)
    hi = max(max(m["x_null"]["median"] for m in rows), 3.0) * 1.1
    x = Axis(0, hi, False, p.left + 90, p.right - 30)
    s.append('<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>'
             % (p.left + 90, top, p.right - 30 - p.left - 90, bottom - top))
    for t in x.ticks():
        s.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>'
                 % (x(t), x(t), top, bottom))
        s.append('<text x="%.1f" y="%d" class="xtick">%s</text>'
                 % (x(t), bottom + 15, fmt(t)))
    s.append('<text x="%d" y="%d" class="xlabel">%s</text>'
             % ((p.left + p.right) / 2, bottom + 34,
                "ns per operation / null ioctl (bar: median, line: min..max;"
                " red: target)"))
    targets = {"get+put": 2.6}
    for i, m in enumerate(rows):
        y = top + i * step + 2
        h = max(step - 4, 2)
        color = COLORS[0] if m["group"] == "single" else COLORS[4]
        s.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                 'fill="%s" opacity="0.8"/>'
                 % (x(0), y, x(m["x_null"]["median"]) - x(0), h, color))
        s.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" '
                 'stroke="#333"/>'
                 % (x(m["x_null"]["min"]), x(min(m["x_null"]["max"], hi)),
                    y + h / 2, y + h / 2))
        s.append('<text x="%d" y="%.1f" class="ytick">%s</text>'
                 % (p.left + 86, y + h / 2 + 4, escape(m["name"])))
        s.append('<text x="%.1f" y="%.1f" class="legend">%.2f</text>'
                 % (min(x(m["x_null"]["median"]) + 4, p.right - 28),
                    y + h / 2 + 4, m["x_null"]["median"]))
        if m["name"] in targets:
            tx = x(targets[m["name"]])
            s.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" '
                     'stroke="#d62728" stroke-width="2"/>'
                     % (tx, tx, y - 1, y + h + 1))


def panel_peers(p, d):
    rows = [c for c in d.get("comparisons", []) if c.get("ratio")]
    if not rows:
        p.message("no peer comparisons")
        return
    s = p.svg
    top, bottom = p.top, p.bottom
    step = (bottom - top) / len(rows)
    hi = max(max(c["ratio"] for c in rows), 1.0) * 1.1
    left = p.left + 180
    x = Axis(0, hi, False, left, p.right - 30)
    s.append('<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>'
             % (left, top, p.right - 30 - left, bottom - top))
    for t in x.ticks():
        s.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>'
                 % (x(t), x(t), top, bottom))
        s.append('<text x="%.1f" y="%d" class="xtick">%s</text>'
                 % (x(t), bottom + 15, fmt(t)))
    unit = "instructions" if d.get("icount") else "ns"
    s.append('<text x="%d" y="%d" class="xlabel">refslab / peer (%s per '
             'operation; red: 1, as cheap as the peer)</text>'
             % ((p.left + p.right) / 2, bottom + 34, unit))
    for i, c in enumerate(rows):
        y = top + i * step + 2
        h = max(step - 4, 2)
        color = COLORS[2] if c["ratio"] <= 1 else COLORS[1]
        s.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                 'fill="%s" opacity="0.8"/>'
                 % (x(0), y, x(c["ratio"]) - x(0), h, color))
        name = c["name"] + ("@%d" % c["param"] if c["param"] else "")
        s.append('<text x="%d" y="%.1f" class="ytick">%s</text>'
                 % (left - 4, y + h / 2 + 4,
                    escape("%s vs %s" % (name, c["peer"]))))
        s.append('<text x="%.1f" y="%.1f" class="legend">%.2f</text>'
                 % (min(x(c["ratio"]) + 4, p.right - 28), y + h / 2 + 4,
                    c["ratio"]))
    x1 = x(1)
    s.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#d62728" '
             'stroke-width="2"/>' % (x1, x1, top, bottom))


def panel_slab(p, d):
    rows = d.get("slab", [])
    if not rows:
        p.message("no slab figures")
        return
    s = p.svg
    step = (p.right - p.left) / len(rows)
    y = Axis(0, 100, False, p.bottom, p.top + 50)
    s.append('<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>'
             % (p.left, p.top, p.right - p.left, p.bottom - p.top))
    for t in y.ticks():
        s.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>'
                 % (p.left, p.right, y(t), y(t)))
        s.append('<text x="%d" y="%.1f" class="ytick">%s%%</text>'
                 % (p.left - 5, y(t) + 4, fmt(t)))
    for i, r in enumerate(rows):
        x0 = p.left + i * step + step * 0.2
        w = step * 0.6
        total = max(r["slab_size"], r["object_size"], 1)
        parts = [(r["capacity"], COLORS[0]),
                 (r["object_size"] - r["capacity"], COLORS[1]),
                 (max(r["slab_size"] - r["object_size"], 0), "#bbb")]
        base = 0
        for v, color in parts:
            v = 100.0 * v / total
            if v > 0:
                s.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                         'fill="%s"/>' % (x0, y(base + v), w,
                                          y(base) - y(base + v), color))
            base += v
        s.append('<text x="%.1f" y="%d" class="xtick">%d B</text>'
                 % (x0 + w / 2, p.bottom + 15, r["capacity"]))
        s.append('<text x="%.1f" y="%.1f" class="xtick">%d B/object</text>'
                 % (x0 + w / 2, y(100) - 18, r["slab_size"]))
        s.append('<text x="%.1f" y="%.1f" class="xtick">header %d B</text>'
                 % (x0 + w / 2, y(100) - 6, r["header"]))
    s.append('<text x="%d" y="%d" class="xlabel">payload capacity of the '
             'size class</text>' % ((p.left + p.right) / 2, p.bottom + 34))
    s.append('<text transform="translate(%d,%d) rotate(-90)" class="xlabel">'
             'share of the slab object</text>'
             % (p.x0 + 16, (p.top + p.bottom) / 2))
    for i, (label, color) in enumerate((("payload", COLORS[0]),
                                        ("header (target <= 64 B)", COLORS[1]),
                                        ("slab padding", "#bbb"))):
        lx = p.left + 8 + (0, 90, 270)[i]
        s.append('<rect x="%d" y="%d" width="12" height="10" fill="%s"/>'
                 % (lx, p.top + 6, color))
        s.append('<text x="%d" y="%d" class="legend">%s</text>'
                 % (lx + 16, p.top + 15, escape(label)))


def panel_reclaim(p, d):
    r = d.get("reclaim") or {}
    if not r.get("ok"):
        p.message("no reclaim storm")
        return
    s = p.svg
    b = r.get("latency_buckets", {})
    names = ["lt_1ms", "lt_10ms", "lt_100ms", "lt_1s", "ge_1s"]
    vals = [b.get(n, 0) for n in names]
    hi = max(max(vals), 1) * 1.15
    step = (p.right - p.left) / len(names)
    y = Axis(0, hi, False, p.bottom, p.top + 60)
    for i, (n, v) in enumerate(zip(names, vals)):
        x0 = p.left + i * step + step * 0.2
        s.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                 'fill="%s"/>' % (x0, y(v), step * 0.6, y(0) - y(v),
                                  COLORS[2]))
        s.append('<text x="%.1f" y="%d" class="xtick">%s</text>'
                 % (x0 + step * 0.3, p.bottom + 15, n.replace("_", " ")))
        s.append('<text x="%.1f" y="%.1f" class="xtick">%d</text>'
                 % (x0 + step * 0.3, y(v) - 4, v))
    s.append('<text x="%d" y="%d" class="xlabel">reclaim latency, final put '
             'to free (objects)</text>'
             % ((p.left + p.right) / 2, p.bottom + 34))
    bound = r["pending_max"] + r["threads"] * r["batch"]
    lines = [
        "%d objects, %d threads, batches of %d: %.2f s; drained %.2f s later"
        % (r["objects"], r["threads"], r["batch"], r["storm_s"], r["drain_s"]),
        "peak pending %d: %s bound %d (max %d + %d x %d)"
        % (r["peak"], "within" if r["peak"] <= bound else "OVER",
           bound, r["pending_max"], r["threads"], r["batch"]),
        "CREATE throttled %d times" % r["throttles"],
        "latency mean %.1f ms, max %.1f ms (since load)"
        % (r["latency_mean_ns"] / 1e6, r["latency_max_ns_since_load"] / 1e6),
    ]
    for i, line in enumerate(lines):
        s.append('<text x="%d" y="%d" class="legend">%s</text>'
                 % (p.left, p.top + 4 + 16 * i, escape(line)))


def render(d):
    panels = [
        ("Batching: cost per operation / null ioctl", panel_batch),
        ("Live objects: get+put relative to 1 live object", panel_live),
        ("Threads: get+put throughput / 1 thread", panel_threads),
        ("Single operations and baselines / null ioctl", panel_single),
        ("Slab bytes per object, per size class", panel_slab),
        ("Reclaim storm", panel_reclaim),
        ("refslab beside its peers (refslab / peer)", panel_peers),
    ]
    rows = (len(panels) + COLS - 1) // COLS
    width, height = COLS * PW, rows * PH + 40
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" font-family="sans-serif">'
           % (width, height, width, height),
           '<style>.title{font-size:14px;font-weight:bold}'
           '.frame{fill:none;stroke:#444}.grid{stroke:#e4e4e4}'
           '.xtick{font-size:10px;text-anchor:middle}'
           '.ytick{font-size:10px;text-anchor:end}'
           '.xlabel{font-size:11px;text-anchor:middle}'
           '.legend{font-size:11px}.note{font-size:10px;text-anchor:end}'
           '</style>',
           '<rect width="100%" height="100%" fill="white"/>']
    errors = d.get("errors", 0)
    svg.append('<text x="10" y="24" font-size="15">refslab_bench (%s): Linux %s, '
               '%d vCPUs, %d repetitions; errors %d. Ratios are to a null '
               'ioctl timed in the same run.</text>'
               % (escape(d.get("mode", "?")), escape(d.get("kernel", "?")),
                  d.get("cpus", 0), d.get("reps", 0), errors))
    for i, (title, fn) in enumerate(panels):
        p = Panel(svg, (i % COLS) * PW, 40 + (i // COLS) * PH, title)
        try:
            fn(p, d)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            p.message("cannot draw: %s" % e)
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def main(argv):
    args, out = [], None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if a == "-o":
            if i + 1 >= len(argv):
                print("plot.py: -o needs a file name", file=sys.stderr)
                return 2
            out = argv[i + 1]
            i += 2
            continue
        args.append(a)
        i += 1
    if len(args) > 1:
        print("usage: python3 bench/plot.py [JSON] [-o SVG]", file=sys.stderr)
        return 2
    src = args[0] if args else os.path.join("build", "bench", "stock612.json")
    if out is None:
        out = os.path.splitext(src)[0] + ".svg"
    try:
        d = load(src)
    except (OSError, ValueError) as e:
        print("plot.py: %s: %s" % (src, e), file=sys.stderr)
        return 1
    with open(out, "w", encoding="utf-8") as f:
        f.write(render(d))
    print("plot.py: wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
