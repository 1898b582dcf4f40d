// DB post-processing, lean: threshold the text-probability map, take 8-connected
// regions, score them by mean probability, grow each by PaddleOCR's unclip distance
// (area × ratio / perimeter), and scale to the original image. Boxes are axis-aligned:
// fine for horizontal text (typographic attacks, screenshots); rotated text is not handled.
import type { OcrConfig, TextBox } from './config.ts';

export interface ScoredBox extends TextBox {
  score: number;
}

export function boxesFromProbabilityMap(
  map: Float32Array,
  mapWidth: number,
  mapHeight: number,
  original: { width: number; height: number },
  config: Pick<OcrConfig, 'pixelThreshold' | 'boxThreshold' | 'unclipRatio' | 'minBoxSide'>,
): ScoredBox[] {
  const seen = new Uint8Array(mapWidth * mapHeight);
  const stack: number[] = [];
  const boxes: ScoredBox[] = [];
  const scaleX = original.width / mapWidth;
  const scaleY = original.height / mapHeight;
  for (let start = 0; start < map.length; start++) {
    if (seen[start] || map[start]! <= config.pixelThreshold) continue;
    let minX = mapWidth;
    let minY = mapHeight;
    let maxX = -1;
    let maxY = -1;
    let sum = 0;
    let count = 0;
    stack.push(start);
    seen[start] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % mapWidth;
      const y = (i - x) / mapWidth;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
      sum += map[i]!;
      count++;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= mapHeight) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= mapWidth) continue;
          const j = ny * mapWidth + nx;
          if (!seen[j] && map[j]! > config.pixelThreshold) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    const w = maxX - minX + 1;
    const h = maxY - minY + 1;
    const score = sum / count;
    if (Math.min(w, h) < config.minBoxSide || score < config.boxThreshold) continue;
    const grow = (w * h * config.unclipRatio) / (2 * (w + h));
    const x0 = Math.max(0, (minX - grow) * scaleX);
    const y0 = Math.max(0, (minY - grow) * scaleY);
    const x1 = Math.min(original.width, (maxX + 1 + grow) * scaleX);
    const y1 = Math.min(original.height, (maxY + 1 + grow) * scaleY);
    boxes.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0, score });
  }
  // Reading order: top to bottom, then left to right within a line.
  return boxes.sort((a, b) => (Math.abs(a.y - b.y) < Math.min(a.height, b.height) / 2 ? a.x - b.x : a.y - b.y));
}
