// vlm-guard.js — the one-tag entry: a classic script that remembers its own <script>
// element and loads the ES module beside it (found relative to this file's URL).
(function () {
  var script = document.currentScript;
  window.__vlmGuardScript = script;
  // window.VLMGuard.ready exists at once, so a host script placed right after this tag can
  // await it; the module settles it with the guard (or its load error) when it has loaded.
  var settle;
  var ready = new Promise(function (resolve, reject) {
    settle = { resolve: resolve, reject: reject };
  });
  ready.catch(function () {}); // reported through vlmguard:error; awaiting hosts see the rejection
  window.__vlmGuardSettle = settle;
  window.VLMGuard = { ready: ready };
  var loaded = import(new URL('./vlm-guard.module.js', script.src).href);
  loaded.catch(function (error) {
    settle.reject(error);
    document.dispatchEvent(new CustomEvent('vlmguard:error', { detail: { stage: 'script', error: error } }));
  });
  if (!script.hasAttribute('data-protect')) return;
  // Fetch protection must cover calls made before the module has loaded: until it takes
  // over window.fetch, matching calls wait for it (and fail if it cannot load); others pass.
  var original = window.fetch;
  var match = script.getAttribute('data-protect') || '/chat/completions';
  window.__vlmGuardOriginalFetch = original;
  var waiting = function (input, init) {
    var url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.indexOf(match) < 0) return original.call(window, input, init);
    return loaded.then(function () {
      if (window.fetch === waiting) throw new Error('vlm-guard: fetch protection did not start; the request was not sent');
      return window.fetch(input, init);
    });
  };
  window.fetch = waiting;
})();
