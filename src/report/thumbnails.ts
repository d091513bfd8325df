/** Small JPEG thumbnails as data: URIs, for the report's mistake gallery. */

/**
 * A data: URI of `file` scaled to fit `size`×`size`, or null when the image cannot be read
 * (the report then shows the path only).
 * @param size longest side in pixels. Defaults to 112.
 */
export async function thumbnailDataUri(file: string, size = 112): Promise<string | null> {
  const { openImage } = await import('../data/image/bmp.ts');
  try {
    const jpeg = await (
      await openImage(file)
    )
      .rotate()
      .resize(size, size, { fit: 'inside' })
      .flatten({ background: '#fff' })
      .jpeg({ quality: 75 })
      .toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return null;
  }
}

/** A data: URI of PNG bytes. */
export function pngDataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}
