// RGBA pixels → CLIP `pixel_values` with the model's own preprocessor_config.json
// (resize shortest edge, centre crop, rescale, normalise). Shared with the parity test.
import { RawImage, type Processor, type Tensor } from '@huggingface/transformers';
import type { PixelImage } from '../src/images/image-input.ts';

export async function clipPixelValues(processor: Processor, image: PixelImage): Promise<{ pixel_values: Tensor }> {
  const rgb = new RawImage(image.data, image.width, image.height, 4).rgb();
  return (await processor(rgb)) as { pixel_values: Tensor };
}
