/**
 * The model's input size for a folder of images, for `init --from`: the images' median aspect
 * ratio (width / height, after EXIF orientation), kept within [1/4, 4]; the long side is the
 * median long side, within [MIN_SIDE, MAX_SIDE]; both sides are multiples of 16 (the backbones
 * downsample by powers of two) and at least MIN_SIDE. MAX_SIDE is the usual ImageNet input: a
 * larger one costs quadratically more on a CPU and helps little at the image counts a first run has.
 */
export const MIN_SIDE = 32;
export const MAX_SIDE = 224;
const MAX_ASPECT = 4;

export interface InputSize {
  height: number;
  width: number;
  /** Why, for a YAML comment (one line). */
  reason: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round16 = (x: number) => Math.max(MIN_SIDE, Math.round(x / 16) * 16);

export function chooseInputSize(images: { width: number; height: number }[]): InputSize {
  const sized = images.filter((i) => i.width > 0 && i.height > 0);
  if (sized.length === 0) return { height: 64, width: 64, reason: 'input 64×64: no image size could be read' };
  const aspect = Math.min(MAX_ASPECT, Math.max(1 / MAX_ASPECT, median(sized.map((i) => i.width / i.height))));
  const longMedian = median(sized.map((i) => Math.max(i.width, i.height)));
  const long = Math.min(MAX_SIDE, round16(longMedian));
  const [width, height] = aspect >= 1 ? [long, round16(long / aspect)] : [round16(long * aspect), long];
  const medW = median(sized.map((i) => i.width));
  const medH = median(sized.map((i) => i.height));
  const scale =
    longMedian < MIN_SIDE
      ? `upscaled: the images are smaller than ${MIN_SIDE} px`
      : longMedian > MAX_SIDE
        ? `downscaled: a long side over ${MAX_SIDE} px costs more than it helps a first model`
        : "about the images' own size";
  return {
    width,
    height,
    reason: `input ${width}×${height} (w×h): median image ${fmt(medW)}×${fmt(medH)}, median aspect ${aspect.toFixed(2)} over ${sized.length} images; sides multiples of 16, long side in [${MIN_SIDE}, ${MAX_SIDE}] (${scale})`,
  };
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
