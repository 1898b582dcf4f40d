// The host app records the guard's DOM events (kept in a file: the pages run under a strict CSP).
window.guardEvents = [];
for (const type of ['vlmguard:ready', 'vlmguard:decision', 'vlmguard:error']) {
  document.addEventListener(type, (event) => window.guardEvents.push({ type, detail: event.detail }));
}
