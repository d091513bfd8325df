/**
 * SVG building blocks and rasterising to PNG. Drawings are SVG strings turned into PNGs by sharp
 * (librsvg + fontconfig), so text uses the system's fonts: DejaVu Sans for Latin text, and any
 * installed CJK font (Noto Sans CJK, WenQuanYi Zen Hei, Droid Sans Fallback) for class names such
 * as the seed's province head. Without a CJK font those glyphs render as boxes; nothing fails.
 */

/** Font stack of every drawing; fontconfig falls back per glyph. */
export const FONT_FAMILY = "'DejaVu Sans', 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'Droid Sans Fallback', sans-serif";

/** Ten distinguishable line colours (matplotlib's tab10 values). */
export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Shortens `text` to at most `max` characters, ending with "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** A `<text>` element; `attrs` are extra raw attributes (e.g. `text-anchor="end"`). */
export function text(x: number, y: number, content: string, size: number, attrs = ''): string {
  return `<text x="${r(x)}" y="${r(y)}" font-size="${size}" ${attrs}>${escapeXml(content)}</text>`;
}

/** Rounds a coordinate to 2 decimals for compact SVG. */
export function r(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Wraps drawing elements into a standalone SVG document with a white background. */
export function svgDocument(width: number, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${escapeXml(FONT_FAMILY)}" fill="#222">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>${body}</svg>`
  );
}

/** Rasterises an SVG document to PNG bytes at its declared size. */
export async function svgToPng(svg: string): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg), { density: 72 }).png({ compressionLevel: 9 }).toBuffer();
}

/** True when `text` has CJK ideographs, kana or hangul (needs a CJK font to render). */
export function hasCjk(text: string): boolean {
  return /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/u.test(text);
}
