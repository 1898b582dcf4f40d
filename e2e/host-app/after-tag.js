// A host script placed right after the one tag: it awaits the guard at once, with no polling.
window.readyAtOnce = typeof window.VLMGuard?.ready?.then === 'function';
window.VLMGuard.ready.then(
  (guard) => (window.readyOutcome = `ready: ${guard.info.models.clip} + ${guard.info.models.reward}`),
  (error) => (window.readyOutcome = `failed: ${error.code}`),
);
