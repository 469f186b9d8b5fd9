"""Draws accuracy against source length as a standalone SVG, by hand (no matplotlib on the
build machines): two panels (exact-sequence and token accuracy), one line per model, the
lengths past training shaded."""
from xml.sax.saxutils import escape

COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
DASHES = ["6,4", "", "", ""]               # the model without attention is dashed
MARKERS = ["square", "circle", "triangle", "diamond"]

PANEL_W, PANEL_H = 360, 250                # plot area of one panel
LEFT, TOP, GAP = 60, 50, 80
WIDTH = LEFT + 2 * PANEL_W + GAP + 20
LEGEND_TOP = TOP + PANEL_H + 55
HEIGHT = LEGEND_TOP + 60


def _marker(kind, x, y, color):
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>'
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{color}"/>'
    if kind == "triangle":
        pts = f"{x:.1f},{y - 4.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f}"
    else:
        pts = f"{x:.1f},{y - 5:.1f} {x + 4.5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 4.5:.1f},{y:.1f}"
    return f'<polygon points="{pts}" fill="{color}"/>'


def _panel(out, x0, title, series, which, lengths, trained_max):
    lo, hi = min(lengths), max(lengths)
    sx = lambda n: x0 + (n - lo) / (hi - lo) * PANEL_W
    sy = lambda v: TOP + PANEL_H - v / 100.0 * PANEL_H
    if hi > trained_max:
        out.append(f'<rect x="{sx(trained_max):.1f}" y="{TOP}" '
                   f'width="{sx(hi) - sx(trained_max):.1f}" height="{PANEL_H}" fill="#eeeeee"/>')
        # Under the axis, where no line can cross it.
        out.append(f'<text x="{(sx(trained_max) + sx(hi)) / 2:.1f}" y="{TOP + PANEL_H + 34}" '
                   f'text-anchor="middle" font-size="10" fill="#555">(longer than training)'
                   f'</text>')
    for v in range(0, 101, 20):
        out.append(f'<line x1="{x0}" y1="{sy(v):.1f}" x2="{x0 + PANEL_W}" y2="{sy(v):.1f}" '
                   f'stroke="#dddddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" '
                   f'font-size="11">{v}%</text>')
    for n in lengths:
        out.append(f'<line x1="{sx(n):.1f}" y1="{TOP + PANEL_H}" x2="{sx(n):.1f}" '
                   f'y2="{TOP + PANEL_H + 4}" stroke="black"/>')
        if n % 4 == 0 or n == lo:
            out.append(f'<text x="{sx(n):.1f}" y="{TOP + PANEL_H + 17}" text-anchor="middle" '
                       f'font-size="11">{n}</text>')
    out.append(f'<rect x="{x0}" y="{TOP}" width="{PANEL_W}" height="{PANEL_H}" fill="none" '
               f'stroke="black"/>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{TOP - 10}" text-anchor="middle" '
               f'font-size="13" font-weight="bold">{escape(title)}</text>')
    out.append(f'<text x="{x0 + PANEL_W * 0.4}" y="{TOP + PANEL_H + 34}" text-anchor="middle" '
               f'font-size="12">source length (tokens)</text>')
    for i, (_, points) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        path = " ".join(f"{sx(n):.1f},{sy(p[which]):.1f}" for n, *p in points)
        dash = f' stroke-dasharray="{DASHES[i]}"' if DASHES[i % len(DASHES)] else ""
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                   f'stroke-width="2"{dash}/>')
        for n, *p in points:
            out.append(_marker(MARKERS[i % len(MARKERS)], sx(n), sy(p[which]), color))


def render(series, trained_max):
    """series: [(label, [(length, exact %, token %), ...]), ...] -> SVG text."""
    lengths = sorted({n for _, points in series for n, _, _ in points})
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="15">Reversing random '
           f'sequences: greedy decoding with Heed, by source length (trained on 2-{trained_max})'
           f'</text>']
    _panel(out, LEFT, "exact-sequence accuracy", series, 0, lengths, trained_max)
    _panel(out, LEFT + PANEL_W + GAP, "token accuracy", series, 1, lengths, trained_max)
    for i, (label, _) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        x = LEFT + (i % 2) * (PANEL_W + GAP)
        y = LEGEND_TOP + (i // 2) * 22
        dash = f' stroke-dasharray="{DASHES[i]}"' if DASHES[i % len(DASHES)] else ""
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 30}" y2="{y}" stroke="{color}" '
                   f'stroke-width="2"{dash}/>')
        out.append(_marker(MARKERS[i % len(MARKERS)], x + 15, y, color))
        out.append(f'<text x="{x + 38}" y="{y + 4}" font-size="12">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
