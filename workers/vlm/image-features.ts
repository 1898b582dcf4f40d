// The vision features of the images a VLM was last asked about. Deep alignment asks N
// candidates a sentence, sentence after sentence, about the same image; with image
// splitting (SmolVLM: up to 17 tiles of 512² px) encoding them again for every batch
// dominates the call, on WASM past its time limit. So the vision encoder runs once per
// image set, and a batch of N copies of one prompt gets those features N times.
import { type PreTrainedModel, type Tensor, cat } from '@huggingface/transformers';
import type { ImageEncoderStats } from '../../src/runtime/contracts.ts';

type EncodeInputs = { pixel_values: Tensor; pixel_attention_mask?: Tensor } & Record<string, unknown>;
type Encode = (inputs: EncodeInputs) => Promise<Tensor>;


/** A key for the images of a request: their sizes and a SHA-256 of their pixels. */
export async function imagesKey(images: readonly { width: number; height: number; data: Uint8ClampedArray }[], splitting: boolean): Promise<string> {
  const digests = await Promise.all(images.map(async (image) => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', image.data as Uint8ClampedArray<ArrayBuffer>));
    return `${image.width}x${image.height}:${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  }));
  return `${splitting ? 'split' : 'whole'}|${digests.join('|')}`;
}

export class ImageFeatureCache {
  readonly stats: ImageEncoderStats = { encodes: 0, reused: 0, tiles: 0 };
  /** The key of the images of the request being run; set before generate, null when it has none. */
  current: string | null = null;
  #key: string | null = null;
  #features: Tensor | null = null;

  /** Routes the model's vision encoder through the cache. */
  constructor(model: PreTrainedModel) {
    const target = model as unknown as { encode_image: Encode };
    const encode = target.encode_image.bind(model);
    target.encode_image = (inputs) => this.#encode(inputs, encode);
  }

  async #encode(inputs: EncodeInputs, encode: Encode): Promise<Tensor> {
    const batch = inputs.pixel_values.dims[0]!;
    if (this.current === null) {
      this.#count(inputs);
      return encode(inputs);
    }
    if (this.#key !== this.current || !this.#features) {
      // Every row of the batch holds the same images (N copies of one prompt): encode the first.
      const first: EncodeInputs = {
        ...inputs,
        pixel_values: inputs.pixel_values.slice([0, 1]),
        ...(inputs.pixel_attention_mask ? { pixel_attention_mask: inputs.pixel_attention_mask.slice([0, 1]) } : {}),
      };
      this.#features?.dispose();
      this.#features = await encode(first);
      this.#key = this.current;
      this.#count(inputs);
    } else {
      this.stats.reused++;
    }
    return cat(Array.from({ length: batch }, () => this.#features!), 0);
  }

  #count(inputs: EncodeInputs): void {
    this.stats.encodes++;
    this.stats.tiles = inputs.pixel_values.dims[1]!;
  }
}
