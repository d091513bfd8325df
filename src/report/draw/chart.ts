/**
 * A small line chart (axes, ticks, grid, legend) as an SVG group, used by the PR curves and the
 * training curves.
 */
import { PALETTE, r, text, truncate } from './svg.ts';

export interface Series {
  name: string;
  points: Array<[number, number]>;
  /** Explicit colour. Defaults to the palette colour of the series index. */
  color?: string;
  /** Draw dashed (a reference line such as ROC's chance diagonal). Defaults to false: dashes only past the palette. */
  dashed?: boolean;
}

export interface ChartOptions {
  /** Top-left corner inside the document. Defaults to 0, 0. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  /** Axis ranges. Defaults to the data's extent (a flat range is widened by ±0.5); the y extent gets 5 % headroom each side, so no line runs along the frame. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  series: Series[];
  /** Only whole-number ticks on the x axis (epochs). Defaults to false. */
  xInteger?: boolean;
  /** Corner of the legend box; `auto`: of the four corners, the one its box covers the fewest points in. Defaults to `top-right`. */
  legend?: 'top-right' | 'bottom-right' | 'bottom-left' | 'top-left' | 'auto';
  /** A vertical dashed marker (e.g. the best epoch) with its label. Defaults to none. */
  markX?: { x: number; label: string };
}

/** Evenly spaced "nice" tick values within [lo, hi]: the smallest step of 1, 2 or 5 × 10^k giving at most `count` intervals. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => Math.floor((hi - lo) / s + 1e-9) <= count) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function extent(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return fallback;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** [lo, hi] widened by 5 % of its span each side. */
function headroom([lo, hi]: [number, number]): [number, number] {
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function label(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/** Where the plot area sits and how data maps onto it. */
interface Frame {
  ox: number;
  oy: number;
  m: { left: number; right: number; top: number; bottom: number };
  pw: number;
  ph: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  sx: (v: number) => number;
  sy: (v: number) => number;
}

type Corner = 'top-right' | 'bottom-right' | 'bottom-left' | 'top-left';

/** Title, grid lines with tick labels, frame, axis labels and the plot area's clip path. */
function axes(o: ChartOptions, f: Frame): string[] {
  const { ox, oy, m, pw, ph, x0, x1, y0, y1, sx, sy } = f;
  const parts: string[] = [];
  parts.push(text(ox + o.width / 2, oy + 22, o.title, 15, 'text-anchor="middle" font-weight="bold"'));
  let xTicks = niceTicks(x0, x1);
  if (o.xInteger) {
    xTicks = xTicks.filter(Number.isInteger);
    if (xTicks.length < 2)
      xTicks = Array.from({ length: Math.floor(x1) - Math.ceil(x0) + 1 }, (_, i) => Math.ceil(x0) + i);
  }
  for (const t of xTicks) {
    parts.push(
      `<line x1="${r(sx(t))}" y1="${r(oy + m.top)}" x2="${r(sx(t))}" y2="${r(oy + m.top + ph)}" stroke="#e5e5e5"/>`,
    );
    parts.push(text(sx(t), oy + m.top + ph + 16, label(t), 11, 'text-anchor="middle"'));
  }
  for (const t of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${r(ox + m.left)}" y1="${r(sy(t))}" x2="${r(ox + m.left + pw)}" y2="${r(sy(t))}" stroke="#e5e5e5"/>`,
    );
    parts.push(text(ox + m.left - 6, sy(t) + 4, label(t), 11, 'text-anchor="end"'));
  }
  parts.push(
    `<rect x="${r(ox + m.left)}" y="${r(oy + m.top)}" width="${r(pw)}" height="${r(ph)}" fill="none" stroke="#888"/>`,
  );
  parts.push(text(ox + m.left + pw / 2, oy + o.height - 10, o.xLabel, 12, 'text-anchor="middle"'));
  parts.push(
    text(
      0,
      0,
      o.yLabel,
      12,
      `text-anchor="middle" transform="translate(${r(ox + 16)},${r(oy + m.top + ph / 2)}) rotate(-90)"`,
    ),
  );
  parts.push(
    `<clipPath id="clip${r(ox)}_${r(oy)}"><rect x="${r(ox + m.left)}" y="${r(oy + m.top)}" width="${r(pw)}" height="${r(ph)}"/></clipPath>`,
  );
  return parts;
}

/** The legend's corner: `o.legend`, or for `auto` the corner whose box covers the fewest data points. */
function legendCorner(
  o: ChartOptions,
  f: Frame,
  place: (c: Corner) => { lx: number; ly0: number },
  boxH: number,
): Corner {
  const { sx, sy } = f;
  const corner = o.legend ?? 'top-right';
  if (corner !== 'auto') return corner;
  // the corner whose legend box covers the fewest data points (so the legend hides the least)
  const pts = o.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    .map(([x, y]) => [sx(x), sy(y)] as const);
  const covered = (c: 'top-right' | 'bottom-right' | 'bottom-left' | 'top-left') => {
    const { lx, ly0 } = place(c);
    return pts.filter(([px, py]) => px >= lx - 4 && px <= lx + 156 && py >= ly0 - 4 && py <= ly0 + boxH + 4).length;
  };
  return (['top-right', 'bottom-right', 'top-left', 'bottom-left'] as const).reduce((best, c) =>
    covered(c) < covered(best) ? c : best,
  );
}

/** The chart as an SVG `<g>`; NaN points break the line. */
export function lineChart(o: ChartOptions): string {
  const ox = o.x ?? 0;
  const oy = o.y ?? 0;
  const m = { left: 64, right: 16, top: 36, bottom: 48 };
  const pw = o.width - m.left - m.right;
  const ph = o.height - m.top - m.bottom;
  const [x0, x1] =
    o.xDomain ??
    extent(
      o.series.flatMap((s) => s.points.map((p) => p[0])),
      [0, 1],
    );
  const [y0, y1] =
    o.yDomain ??
    headroom(
      extent(
        o.series.flatMap((s) => s.points.map((p) => p[1])),
        [0, 1],
      ),
    );
  const sx = (v: number) => ox + m.left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => oy + m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const f: Frame = { ox, oy, m, pw, ph, x0, x1, y0, y1, sx, sy };
  const parts = axes(o, f);
  const legend: string[] = [];
  if (o.markX && o.markX.x >= x0 && o.markX.x <= x1) {
    const mx = sx(o.markX.x);
    parts.push(
      `<line x1="${r(mx)}" y1="${r(oy + m.top)}" x2="${r(mx)}" y2="${r(oy + m.top + ph)}" stroke="#555" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    );
    parts.push(text(mx + 4, oy + m.top + 12, o.markX.label, 11, 'fill="#333"'));
  }
  const shown = Math.min(o.series.length, 12);
  const boxH = shown * 16 + 4;
  const place = (c: NonNullable<ChartOptions['legend']>) => ({
    lx: c.endsWith('left') ? ox + m.left + 4 : ox + m.left + pw - 156,
    ly0: c.startsWith('top') ? oy + m.top + 2 : oy + m.top + ph - shown * 16 - 6,
  });
  const corner = legendCorner(o, f, place, boxH);
  const { lx, ly0 } = place(corner);
  if (shown)
    legend.push(
      `<rect x="${r(lx)}" y="${r(ly0)}" width="152" height="${shown * 16 + 4}" fill="#fff" fill-opacity="0.85" stroke="#ddd"/>`,
    );
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    // past the palette, colours repeat: dashes tell the series apart
    const dash = s.dashed ? ' stroke-dasharray="4 4"' : i >= PALETTE.length ? ' stroke-dasharray="6 3"' : '';
    const segs: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) segs.push([]);
      else segs.at(-1)!.push(`${r(sx(x))},${r(sy(y))}`);
    }
    for (const seg of segs.filter((g) => g.length)) {
      const [cx, cy] = seg[0]!.split(',');
      parts.push(
        seg.length === 1
          ? `<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`
          : `<polyline points="${seg.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash} clip-path="url(#clip${r(ox)}_${r(oy)})"/>`,
      );
    }
    if (i < shown) {
      const ly = ly0 + 14 + i * 16;
      legend.push(
        `<line x1="${r(lx + 6)}" y1="${r(ly - 4)}" x2="${r(lx + 24)}" y2="${r(ly - 4)}" stroke="${color}" stroke-width="3"${dash}/>`,
      );
      legend.push(text(lx + 30, ly, truncate(s.name, 20), 11));
    }
  });
  parts.push(...legend);
  return `<g>${parts.join('')}</g>`;
}
