// Long work on the page's main thread (reading a large streamed answer) gives the page a
// turn now and then: a task over 50 ms is a stall the user feels. scheduler.yield where the
// browser has it (a continuation that keeps its priority), else a message to ourselves —
// not a timer, which background tabs throttle to once a second.

/** How long one slice of work runs before it yields (well under the 50 ms of a long task). */
export const SLICE_MS = 8;

declare global {
  var scheduler: { yield?: () => Promise<void> } | undefined;
}

export function yieldToPage(): Promise<void> {
  if (typeof globalThis.scheduler?.yield === 'function') return globalThis.scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Yields when the current slice has run its time: call it between pieces of work. */
export function slicer(sliceMs = SLICE_MS): () => Promise<void> {
  let started = performance.now();
  return async () => {
    if (performance.now() - started < sliceMs) return;
    await yieldToPage();
    started = performance.now();
  };
}
