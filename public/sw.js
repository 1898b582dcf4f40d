// vlm-guard's service worker: keeps the app shell, ORT's runtime and the models in
// Cache Storage so the page still works after a reload with the network off.
// Network first (a deploy is picked up at once), the cache when the network fails;
// model files are pinned by sha256 in the manifest, so they are cache-first (this cache
// is keyed by URL and checks nothing; the model workers verify every file's sha256 as
// they load it, so a stale or tampered cached file is refused there).
const CACHE = 'vlm-guard-v1';
const MODEL_FILE = /\/models\/[^?]+\.(onnx|json|txt)$/;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(CACHE)).put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(request);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  // The manifest is small and says what the models are: always ask the network first.
  const modelFile = MODEL_FILE.test(url.pathname) && !url.pathname.endsWith('/manifest.json');
  event.respondWith(modelFile ? cacheFirst(request) : networkFirst(request));
});
