/* Keeps the door page usable without a network after a first visit.
 *
 * Registered by door.js with the door page itself as its scope; the page's own files
 * (door.js, jsQR, CSS) come in the script URL as ?a=<path>. The page is fetched network
 * first (fresh counts and CSRF token when online) and answered from the cache offline;
 * the files are served from the cache and refreshed in the background.
 * API calls are never cached: door.js keeps its own guest list and queue in IndexedDB.
 */
"use strict";

var CACHE = "meetup-door-v1";
var ASSETS = new URL(self.location).searchParams.getAll("a");

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(ASSETS.concat([self.registration.scope]));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function isAsset(url) {
  return ASSETS.indexOf(url.pathname) !== -1;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate" && url.href.split("?")[0] === self.registration.scope) {
    event.respondWith(
      fetch(request)
        .then(function (response) {
          if (response.ok) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(self.registration.scope, copy); });
          }
          return response;
        })
        .catch(function () {
          return caches.match(self.registration.scope).then(function (cached) {
            return cached || Response.error();
          });
        })
    );
  } else if (isAsset(url)) {
    event.respondWith(
      caches.open(CACHE).then(function (cache) {
        return cache.match(request, { ignoreSearch: true }).then(function (cached) {
          var fresh = fetch(request).then(function (response) {
            if (response.ok) cache.put(request, response.clone());
            return response;
          });
          if (cached) {
            fresh.catch(function () {});
            return cached;
          }
          return fresh;
        });
      })
    );
  }
});
