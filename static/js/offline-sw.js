/* Keeps a page usable without a network after a first visit: the door page (door staff in a
 * basement) and an attendee's ticket (the QR to show at that same door).
 *
 * Registered by the page with the page itself as its scope; the page's own files (scripts,
 * CSS, the ticket's QR image) come in the script URL as ?a=<path>. The page is fetched network
 * first (fresh counts, status and CSRF token when online) and answered from the cache offline;
 * a page the server no longer knows (a ticket given up) is dropped from the cache, so it
 * can't come back offline. The files are served from the cache and refreshed in the
 * background. API calls are never cached: door.js keeps its own guest list and queue in
 * IndexedDB.
 */
"use strict";

var CACHE = "meetup-offline-v1";
var ASSETS = new URL(self.location).searchParams.getAll("a");

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(ASSETS.concat([self.registration.scope]));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      // The door's cache before it served tickets too.
      return Promise.all(names.filter(function (name) {
        return name === "meetup-door-v1";
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isAsset(url) {
  return ASSETS.indexOf(url.pathname) !== -1;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var scope = self.registration.scope;

  if (request.mode === "navigate" && url.href.split("?")[0] === scope) {
    event.respondWith(
      fetch(request)
        .then(function (response) {
          if (response.ok) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(scope, copy); });
          } else if (response.status === 404 || response.status === 410) {
            caches.open(CACHE).then(function (cache) { cache.delete(scope); });
          }
          return response;
        })
        .catch(function () {
          return caches.match(scope).then(function (cached) {
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
