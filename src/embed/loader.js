// vlm-guard.js — the one-tag entry: a classic script that remembers its own <script>
// element and loads the ES module beside it (found relative to this file's URL).
(function () {
  var script = document.currentScript;
  window.__vlmGuardScript = script;
  import(new URL('./vlm-guard.module.js', script.src).href).catch(function (error) {
    document.dispatchEvent(new CustomEvent('vlmguard:error', { detail: { stage: 'script', error: error } }));
  });
})();
