// Server-sent events → parsed JSON chunks, with an idle timeout between events and
// typed errors for malformed or cut-off streams (parsing: eventsource-parser).
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { GuardError, abortedError } from '../../errors.ts';

export async function* readSseJson<T>(
  response: Response,
  options: { url: string; idleTimeoutMs: number; signal?: AbortSignal },
): AsyncGenerator<T> {
  if (!response.body) throw new GuardError('GENERATOR_STREAM_MALFORMED', `${options.url} sent no body.`, { url: options.url });
  const events = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  let done = false;
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new GuardError('TIMEOUT', `${options.url} stalled: no data for ${options.idleTimeoutMs} ms.`, { url: options.url })),
          options.idleTimeoutMs,
        );
        onAbort = () => reject(abortedError(`The stream from ${options.url}`));
        if (options.signal?.aborted) onAbort();
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
      let next: ReadableStreamReadResult<{ data: string }>;
      try {
        next = await Promise.race([events.read(), idle]);
      } catch (error) {
        if (error instanceof GuardError) throw error;
        throw new GuardError('GENERATOR_STREAM_MALFORMED', `The stream from ${options.url} broke off: ${error instanceof Error ? error.message : String(error)}`, { url: options.url }, { cause: error });
      } finally {
        clearTimeout(timer);
        if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      }
      if (next.done) {
        throw new GuardError('GENERATOR_STREAM_MALFORMED', `The stream from ${options.url} ended without [DONE].`, { url: options.url });
      }
      const data = next.value.data;
      if (data === '[DONE]') {
        done = true;
        return;
      }
      let chunk: T;
      try {
        chunk = JSON.parse(data) as T;
      } catch {
        throw new GuardError('GENERATOR_STREAM_MALFORMED', `The stream from ${options.url} sent a chunk that is not JSON: ${data.slice(0, 80)}`, { url: options.url });
      }
      yield chunk;
    }
  } finally {
    if (!done) await events.cancel().catch(() => undefined);
  }
}
