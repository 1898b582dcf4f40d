// Typed errors. Every failure the runtime reports is a GuardError with a stable
// `code`; the message names the cause and what to do about it.
import * as Comlink from 'comlink';

export type GuardErrorCode =
  | 'OPTIONS_INVALID'
  | 'INPUT_INVALID'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNREACHABLE'
  | 'MODEL_UNKNOWN'
  | 'MODEL_FILE_MISSING'
  | 'MODEL_LOAD_FAILED'
  | 'IMAGE_UNDECODABLE'
  | 'BACKEND_UNAVAILABLE'
  | 'WORKER_CRASHED'
  | 'TIMEOUT'
  | 'DISPOSED'
  | 'INFERENCE_FAILED'
  | 'ABORTED'
  | 'GENERATOR_HTTP'
  | 'GENERATOR_STREAM_MALFORMED'
  | 'GENERATOR_UNSUPPORTED'
  /** A model's answer (risk list, judge score) could not be read. */
  | 'MODEL_OUTPUT_INVALID'
  /** Too many calls at once: concurrency.maxInFlight running and maxQueued waiting. */
  | 'BUSY'
  /** A model file's bytes do not match the manifest's sha256, or the file is not in the manifest. */
  | 'MODEL_INTEGRITY'
  /** A text longer than the windows the reward model may read (reward.window.maxWindows): not scored. */
  | 'TOO_LONG'
  /** A model would not fit the backend's memory (a wasm32 heap holds 4 GiB): refused before its weights are fetched. */
  | 'MODEL_TOO_LARGE'
  /** Not a browser page with Web Workers and WebAssembly (Node, SSR), or a worker script the browser cannot start. */
  | 'ENVIRONMENT_UNSUPPORTED';

export class GuardError extends Error {
  readonly code: GuardErrorCode;
  /** Structured facts about the failure (the missing URL, the backend asked for, …). */
  readonly details: Readonly<Record<string, string>>;

  constructor(code: GuardErrorCode, message: string, details: Record<string, string> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GuardError';
    this.code = code;
    this.details = details;
  }
}

export function isGuardError(error: unknown, code?: GuardErrorCode): error is GuardError {
  return error instanceof GuardError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a GuardError of the given code, keeping the cause. */
export function asGuardError(error: unknown, code: GuardErrorCode, context: string): GuardError {
  if (error instanceof GuardError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GuardError(code, `${context}: ${message}`, {}, { cause: error });
}

interface SerializedGuardError {
  code: GuardErrorCode;
  message: string;
  details: Record<string, string>;
  stack?: string;
}

/**
 * comlink's built-in "throw" handler keeps only name/message/stack, so a worker's
 * GuardError would arrive as a plain Error. Installing this handler (in the page
 * and in every worker) carries `code` and `details` across the boundary.
 */
export function installErrorTransfer(): void {
  const builtIn = Comlink.transferHandlers.get('throw');
  if (!builtIn) throw new Error('comlink has no "throw" transfer handler to extend');
  type Thrown = { value: unknown };
  const handler: Comlink.TransferHandler<Thrown, { guard?: SerializedGuardError; other?: unknown }> = {
    canHandle: (value): value is Thrown => builtIn.canHandle(value),
    serialize(thrown) {
      const { value } = thrown;
      if (value instanceof GuardError) {
        const guard = { code: value.code, message: value.message, details: { ...value.details }, stack: value.stack };
        return [{ guard }, []];
      }
      const [other, transfers] = builtIn.serialize(thrown);
      return [{ other }, transfers];
    },
    deserialize(wire): Thrown {
      if (wire.guard) {
        const error = new GuardError(wire.guard.code, wire.guard.message, wire.guard.details);
        if (wire.guard.stack) error.stack = wire.guard.stack;
        throw error;
      }
      return builtIn.deserialize(wire.other) as Thrown; // the built-in handler throws
    },
  };
  Comlink.transferHandlers.set('throw', handler as Comlink.TransferHandler<unknown, unknown>);
}

/** A failure as results report it (a check's, a risk report part's, the judge's). */
export interface CheckError {
  code: GuardErrorCode;
  message: string;
}

/** The error every aborted operation ends with: `${what} was aborted.` */
export function abortedError(what: string): GuardError {
  return new GuardError('ABORTED', `${what} was aborted.`);
}
