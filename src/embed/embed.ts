// The one-tag script's module: reads its <script> tag's data-* settings, creates the
// guard, exposes window.VLMGuard (the module API plus the ready guard), and reports
// through DOM events: vlmguard:ready, vlmguard:decision, vlmguard:error.
import * as api from '../index.ts';
import type { DecisionRule, Device, EvaluateInput, EvaluationResult, Guard, GuardOptions, GuardRespondResult, ProtectOptions, Protection, RespondInput, RespondOptions } from '../index.ts';

export interface EmbedSettings {
  modelBase: string;
  ortBase: string;
  device: Device;
  mode: NonNullable<RespondOptions['mode']>;
  imageText: NonNullable<GuardOptions['imageText']>;
  /** data-rule: when to align — `eta` (default: answer and image unsafe) or `response` (the answer alone). */
  rule: DecisionRule;
  /** data-protect: guard the page's chat-completion fetches (the value, if any, is the URL to match). */
  protect: string | null;
  /** data-preferences="on": keep aligned answers as preference pairs (guard.preferences); off by default. */
  preferences: boolean;
}

/** What `window.VLMGuard` holds: the module's exports (same API), the ready guard, and shortcuts that report decisions. */
export type VLMGuardGlobal = typeof api & {
  api: typeof api;
  settings: EmbedSettings;
  /** Resolves with the guard once its models are loaded (also announced by `vlmguard:ready`). */
  ready: Promise<Guard>;
  evaluate(input: EvaluateInput): Promise<EvaluationResult>;
  respond(input: RespondInput, options?: RespondOptions): Promise<GuardRespondResult>;
  /** Wraps window.fetch: the page's OpenAI-compatible chat calls come back evaluated and, if needed, aligned. */
  protect(options?: ProtectOptions): Protection;
};

declare global {
  interface Window {
    VLMGuard?: VLMGuardGlobal;
    /** Set by the classic loader (vlm-guard.js): the <script> element that loaded it. */
    __vlmGuardScript?: HTMLScriptElement;
    /** Set by the classic loader: settles the `window.VLMGuard.ready` it defined at once. */
    __vlmGuardSettle?: { resolve(guard: Promise<Guard>): void; reject(error: unknown): void };
  }
}

const pick = <T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, name: string): T => {
  if (value === undefined || value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new api.GuardError('OPTIONS_INVALID', `data-${name}="${value}" is not one of ${allowed.join(' | ')}.`);
};

/** Settings from the tag; URLs resolve against the page, ORT defaults to the folder beside this script. */
export function readSettings(script: HTMLScriptElement | undefined, moduleUrl: string): EmbedSettings {
  const data = script?.dataset ?? {};
  return {
    modelBase: new URL(data.models ?? '/models/', document.baseURI).href,
    ortBase: new URL(data.ort ?? './ort/', data.ort ? document.baseURI : moduleUrl).href,
    device: pick(data.device, ['auto', 'webgpu', 'wasm'] as const, 'auto', 'device'),
    mode: pick(data.mode, ['off', 'shallow', 'deep', 'auto'] as const, 'shallow', 'mode'),
    imageText: pick(data.imageText, ['auto', 'on', 'off'] as const, 'off', 'image-text'),
    rule: pick(data.rule, ['eta', 'response'] as const, 'eta', 'rule'),
    protect: data.protect === undefined ? null : data.protect,
    preferences: pick(data.preferences, ['on', 'off'] as const, 'off', 'preferences') === 'on',
  };
}

function announce<T>(type: 'vlmguard:ready' | 'vlmguard:decision' | 'vlmguard:error', detail: T): void {
  document.dispatchEvent(new CustomEvent(type, { detail }));
}

export function install(script: HTMLScriptElement | undefined, moduleUrl: string): VLMGuardGlobal {
  let settings: EmbedSettings;
  let ready: Promise<Guard>;
  try {
    settings = readSettings(script, moduleUrl);
    ready = api.createGuard({
      modelBase: settings.modelBase,
      ortBase: settings.ortBase,
      device: settings.device,
      imageText: settings.imageText,
      policy: { rule: settings.rule },
      preferences: { enabled: settings.preferences },
    });
  } catch (error) {
    settings = { modelBase: '', ortBase: '', device: 'auto', mode: 'shallow', imageText: 'off', rule: 'eta', protect: null, preferences: false };
    ready = Promise.reject(error);
  }
  ready.then(
    (guard) => announce('vlmguard:ready', { info: guard.info }),
    (error: unknown) => announce('vlmguard:error', { stage: 'load', error }),
  );
  const reported = async <R extends { decision: string }>(stage: string, run: (guard: Guard) => Promise<R>): Promise<R> => {
    try {
      const result = await run(await ready);
      announce('vlmguard:decision', result);
      return result;
    } catch (error) {
      announce('vlmguard:error', { stage, error });
      throw error;
    }
  };
  // The loader's early `ready` (if any) takes this guard's outcome; the object it sits on is completed in place.
  window.__vlmGuardSettle?.resolve(ready);
  const early = window.VLMGuard;
  const full: VLMGuardGlobal = {
    ...api,
    api,
    settings,
    ready: early?.ready ?? ready,
    evaluate: (input) => reported('evaluate', (guard) => guard.evaluate(input)),
    respond: (input, options = {}) => reported('respond', (guard) => guard.respond(input, { mode: settings.mode, ...options })),
    protect: (options = {}) =>
      api.protectFetch(ready, {
        ...(settings.mode === 'deep' ? { mode: 'deep' } : {}),
        ...options,
        onDecision: (result) => {
          announce('vlmguard:decision', result);
          options.onDecision?.(result);
        },
        onError: (error) => {
          announce('vlmguard:error', { stage: 'protect', error });
          options.onError?.(error);
        },
      }),
  };
  const global = early ? Object.assign(early, full) : full;
  window.VLMGuard = global;
  if (settings.protect !== null) {
    // Installed at once, so calls made while the models load are guarded too (they wait for them).
    global.protect(settings.protect ? { match: settings.protect } : {});
  }
  return global;
}

install(window.__vlmGuardScript, import.meta.url);
