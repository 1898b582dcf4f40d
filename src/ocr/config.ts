// PP-OCRv4 pre/post-processing parameters (PaddleOCR's defaults for det_db and
// rec_crnn), overridable per guard.

export interface OcrConfig {
  /** Longest side the detector sees (PaddleOCR det_limit_side_len 960). Sides are rounded to multiples of 32. */
  maxSide: number;
  /** Probability at which a detection-map pixel counts as text (det_db_thresh). */
  pixelThreshold: number;
  /** Mean probability a text region needs (det_db_box_thresh). */
  boxThreshold: number;
  /** How far a shrunk text region is grown back (det_db_unclip_ratio). */
  unclipRatio: number;
  /** Regions thinner than this many map pixels are noise. */
  minBoxSide: number;
  /** Recognition input height (rec_image_shape 3×48×W) and the widest line accepted. */
  recHeight: number;
  maxRecWidth: number;
  /** Lines whose mean character confidence is below this are dropped. */
  minLineConfidence: number;
}

export const OCR_DEFAULTS: OcrConfig = {
  maxSide: 960,
  pixelThreshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
  minBoxSide: 3,
  recHeight: 48,
  maxRecWidth: 1600,
  minLineConfidence: 0.5,
};

/** An axis-aligned text box in the original image's pixels. */
export interface TextBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TextLine {
  text: string;
  /** Mean probability of the recognised characters. */
  confidence: number;
  box: TextBox;
  /** Mean text probability of the detected region. */
  detectionScore: number;
}
