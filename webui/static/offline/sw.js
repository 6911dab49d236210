/* Casework's service worker (served as /sw.js so its scope is the whole site).

   It keeps only what the server marks as keepable: a page answer with "Casework-Offline: keep"
   (the worklist and case pages, for a session whose user ticked "this is my own phone"), plus
   the static files app.js puts in the static cache for those pages.  Everything else passes
   through untouched and is never stored, so full phone numbers (shown on a POST's answer),
   attachments, reports and admin pages never reach the phone's storage.  With no signal a
   kept page is answered from the cache; app.js then shows the offline banner. */
'use strict';

const PAGES = 'casework-pages';
const STATIC = 'casework-static';
const KEEP_HEADER = 'Casework-Offline';
const MOST_PAGES = 40; // the worklist and the cases opened lately; the oldest go first
const NOT_KEPT = '离线：这一页没有存在这部手机上。\nOffline: this page is not kept on this phone.';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function keep(url, response) {
  if (!response.ok || response.redirected || response.headers.get(KEEP_HEADER) !== 'keep') return;
  const cache = await caches.open(PAGES);
  await cache.put(url, response);
  // Cache.keys() lists entries in the order they were put; put() moves an entry to the end.
  const kept = await cache.keys();
  await Promise.all(kept.slice(0, Math.max(0, kept.length - MOST_PAGES))
    .map((request) => cache.delete(request)));
}

async function page(request) {
  try {
    const response = await fetch(request);
    await keep(request.url, response.clone());
    return response;
  } catch (noSignal) {
    const kept = await caches.match(request.url, { cacheName: PAGES });
    return kept || new Response(NOT_KEPT, {
      status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
}

async function file(request) {
  try {
    return await fetch(request);
  } catch (noSignal) {
    const kept = await caches.match(request, { cacheName: STATIC });
    if (kept) return kept;
    throw noSignal;
  }
}

// Files a kept page needs (app.js puts them in the static cache); the API, /offline/state and
// attachments go straight to the network, never through here.
const FILES = ['/static/', '/bootstrap/static/', '/manifest.webmanifest'];

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request));
  } else if (FILES.some((prefix) => url.pathname.startsWith(prefix))) {
    event.respondWith(file(request));
  }
});

// The page that registered this worker was loaded before it existed: app.js asks for it again.
self.addEventListener('message', (event) => {
  const url = event.data && event.data.keep;
  if (typeof url !== 'string' || new URL(url).origin !== self.location.origin) return;
  event.waitUntil(fetch(url, { credentials: 'same-origin' })
    .then((response) => keep(url, response)).catch(() => undefined));
});
