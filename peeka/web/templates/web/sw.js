{% autoescape off %}// Peeka's service worker (served at /sw.js by peeka.web.pwa.service_worker, scope "/").
//
// It keeps the page SHELL ONLY: the offline page, the CSS, the scripts every page loads, the
// favicon and the app icons. Nothing a signed-in user sees is ever stored on the phone:
// balances, payment history and every other wallet page, /api/, /accounts/, /jsi18n/ and
// every POST go straight to the network and are never put in a cache.
"use strict";

// The name changes with every deploy that changes the shell (peeka.web.pwa.shell_version),
// so a new worker fills a new cache and deletes the old one.
const CACHE = {{ cache_name }};
const OFFLINE_URL = {{ offline_url }};
const STATIC_URL = new URL({{ static_url }}, self.location.href).href;
const SHELL = {{ shell }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // "reload": from the server, not from the browser's HTTP cache.
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  // Every other cache is an older shell: this origin keeps nothing else in the Cache API.
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return; // POSTs (payments, logins, forms): the network, as if there were no worker.
  }
  if (request.url.startsWith(STATIC_URL)) {
    // Static files: the kept shell first, else the network. What comes from the network is
    // not added: the cache holds the shell and nothing more.
    event.respondWith(caches.match(request).then((kept) => kept || fetch(request)));
    return;
  }
  if (request.mode === "navigate") {
    // Pages (the wallet's among them): always the network, never cached. Only when the
    // network cannot be reached at all does the kept offline page answer instead.
    event.respondWith(
      fetch(request).catch(() =>
        caches.match(OFFLINE_URL).then((page) => page || Response.error()),
      ),
    );
    return;
  }
  // Everything else (/api/, /jsi18n/, the manifest, fetches by the pages' scripts): not
  // handled here, so the browser asks the network and nothing is kept.
});
{% endautoescape %}