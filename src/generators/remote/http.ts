// POSTs with retry/backoff on 429 and 5xx, a first-byte timeout, and the caller's
// AbortSignal. Errors never carry the API key.
import { GuardError, abortedError } from '../../errors.ts';

export interface RetryOptions {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface PostOptions {
  url: string;
  headers: Record<string, string>;
  /** JSON text, or a Blob of it (json-body.ts). */
  body: string | Blob;
  signal?: AbortSignal;
  firstByteTimeoutMs: number;
  retry: RetryOptions;
  fetch: typeof fetch;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError('The request'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(abortedError('The request'));
    }, { once: true });
  });

function retryDelay(attempt: number, response: Response | null, retry: RetryOptions): number {
  const header = response?.headers.get('retry-after');
  const seconds = header === null || header === undefined ? Number.NaN : Number(header);
  if (Number.isFinite(seconds)) return Math.min(seconds * 1000, retry.maxDelayMs);
  return Math.min(retry.baseDelayMs * 2 ** attempt, retry.maxDelayMs);
}

async function errorText(response: Response): Promise<string> {
  try {
    const text = await response.text();
    const parsed = JSON.parse(text) as { error?: { message?: string } | string };
    const message = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message;
    return (message ?? text).slice(0, 300);
  } catch {
    return '';
  }
}

/** A Response with an OK status; its body is for the caller to read. */
export async function postWithRetry(options: PostOptions): Promise<Response> {
  const { url, retry } = options;
  for (let attempt = 0; ; attempt++) {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.firstByteTimeoutMs);
    let response: Response | null = null;
    try {
      response = await options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: options.body,
        signal: controller.signal,
      });
    } catch (cause) {
      if (options.signal?.aborted) throw abortedError(`The request to ${url}`);
      if (timedOut) throw new GuardError('TIMEOUT', `${url} sent no response within ${options.firstByteTimeoutMs} ms.`, { url });
      if (attempt >= retry.maxRetries) {
        throw new GuardError('GENERATOR_HTTP', `Could not reach ${url}: ${cause instanceof Error ? cause.message : String(cause)}${corsHint(url)}`, { url }, { cause });
      }
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (response?.ok) return response;
    const retryable = response === null || response.status === 429 || response.status >= 500;
    if (!retryable || attempt >= retry.maxRetries) {
      const status = response?.status ?? 0;
      const detail = response ? await errorText(response) : '';
      throw new GuardError(
        'GENERATOR_HTTP',
        `${url} answered HTTP ${status}${detail ? `: ${detail}` : ''}${retryable ? ` (after ${attempt + 1} attempts)` : ''}.`,
        { url, status: String(status) },
      );
    }
    await response?.body?.cancel();
    await sleep(retryDelay(attempt, response, retry), options.signal);
  }
}

/**
 * A browser reports a request its CORS rules blocked exactly like an unreachable server
 * (a bare TypeError), so a failure on another origin names both causes.
 */
function corsHint(url: string): string {
  const page = globalThis.location?.origin;
  if (!page || page === 'null' || new URL(url, globalThis.location.href).origin === page) return '';
  return `. Either the server is down, or it does not allow requests from this page's origin (${page}): an OpenAI-compatible server must answer the CORS preflight and send Access-Control-Allow-Origin (e.g. vLLM's --allowed-origins, Ollama's OLLAMA_ORIGINS).`;
}

