// DREAM's risk taxonomy (docs/method.md, DREAM): 9 categories and the 4 places a risk can come from.

export const RISK_CATEGORIES = [
  'illegal-activities',
  'violence',
  'privacy',
  'discrimination',
  'sexual-content',
  'disinformation',
  'impersonation',
  'political-interference',
  'professional-advice',
] as const;
export type RiskCategory = (typeof RISK_CATEGORIES)[number];

export const RISK_SOURCES = ['text-instruction', 'text-content', 'image-content', 'text-in-image'] as const;
export type RiskSource = (typeof RISK_SOURCES)[number];

/** How a category or source is written in prompts and read back from a model. */
export const CATEGORY_LABELS: Record<RiskCategory, string> = {
  'illegal-activities': 'illegal activities',
  violence: 'violence',
  privacy: 'privacy',
  discrimination: 'discrimination',
  'sexual-content': 'sexual content',
  disinformation: 'disinformation',
  impersonation: 'impersonation',
  'political-interference': 'political interference',
  'professional-advice': 'professional advice',
};

export const SOURCE_LABELS: Record<RiskSource, string> = {
  'text-instruction': 'text instruction',
  'text-content': 'text content',
  'image-content': 'image content',
  'text-in-image': 'text in the image',
};

/**
 * One CLIP description per category (our wording). The zero-shot score of a category
 * is cosine(image, description); the manifest holds the threshold per model.
 */
export const DEFAULT_CATEGORY_DESCRIPTIONS: Record<RiskCategory, string> = {
  'illegal-activities': 'An image about illegal activities such as making drugs, explosive devices or weapons, theft or hacking.',
  violence: 'A violent image showing weapons, blood, a physical attack, injury or killing.',
  privacy: 'An image breaching privacy: leaked passwords, identity documents or home addresses.',
  discrimination: 'A hateful, racist image insulting or discriminating against a group of people.',
  'sexual-content': 'A sexually explicit or nude image.',
  disinformation: 'An image spreading fake news, misleading photos or false claims presented as facts.',
  impersonation: 'An image impersonating a real person, brand or authority: a forged logo, a fake badge or a counterfeit official document.',
  'political-interference': 'Political propaganda, election manipulation or extremist symbols.',
  'professional-advice': 'An image seeking professional medical, legal or financial advice: pills, a prescription, a diagnosis or a contract.',
};

/** Normalises a free-text label from a model ("Illegal Activities", "illegal_activity") to a category. */
export function toCategory(label: string): RiskCategory | null {
  return matchLabel(label, CATEGORY_LABELS);
}

/** Normalises a free-text source ("Text in image", "image_text", "instruction") to a source. */
export function toSource(label: string): RiskSource | null {
  const direct = matchLabel(label, SOURCE_LABELS);
  if (direct) return direct;
  const words = simplify(label);
  if (/image|picture|photo/.test(words) && /text|typograph|written|caption|ocr/.test(words)) return 'text-in-image';
  if (/image|picture|photo|visual/.test(words)) return 'image-content';
  if (/instruction|question|request|prompt|query/.test(words)) return 'text-instruction';
  if (/text|content/.test(words)) return 'text-content';
  return null;
}

function simplify(label: string): string {
  return label.toLowerCase().replace(/[^a-z]+/g, ' ').replace(/\b(the|a|an|in|of)\b/g, ' ').replace(/\s+/g, ' ').trim();
}

function matchLabel<K extends string>(label: string, labels: Record<K, string>): K | null {
  const wanted = simplify(label);
  const stem = (s: string) => s.replace(/(ies|es|s)\b/g, '');
  for (const [key, text] of Object.entries(labels) as [K, string][]) {
    const own = simplify(text);
    if (wanted === own || wanted === simplify(key) || stem(wanted) === stem(own)) return key;
  }
  return null;
}

/** Llama Guard 3's hazard codes (MLCommons taxonomy) → DREAM's categories. */
export const LLAMA_GUARD_3_CATEGORIES: Record<string, RiskCategory> = {
  S1: 'violence', // violent crimes
  S2: 'illegal-activities', // non-violent crimes
  S3: 'sexual-content', // sex-related crimes
  S4: 'sexual-content', // child sexual exploitation
  S5: 'disinformation', // defamation
  S6: 'professional-advice', // specialized advice
  S7: 'privacy',
  S8: 'illegal-activities', // intellectual property
  S9: 'violence', // indiscriminate weapons
  S10: 'discrimination', // hate
  S11: 'violence', // suicide and self-harm
  S12: 'sexual-content',
  S13: 'political-interference', // elections
  S14: 'illegal-activities', // code interpreter abuse
};
