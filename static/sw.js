// The service worker of the observer's pages (registered with the scope /m/{mission}/observer,
// without a trailing slash: the home page itself has none).
// It keeps a copy of the observer's home, forms and places so that they open with no
// network, and answers from the copy when the network fails. Pages are asked of the
// network first, so that anyone online sees them as they are now. Reports are never
// sent from here: the page's outbox does that (static/outbox.js).
'use strict';
var PAGES = 'fieldreport-pages-1';
var ASSETS = 'fieldreport-assets';
var base = new URL(self.registration.scope).pathname.replace(/\/$/, '');

self.addEventListener('install', function (event) {
  event.waitUntil(keepPages().catch(function () {}).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf('fieldreport-pages-') === 0 && n !== PAGES;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('message', function (event) {
  if (event.data === 'keep-pages') event.waitUntil(keepPages().catch(function () {}));
});

// Fetches the pages the server lists for this observer (home, forms, their places) and
// the files they use, and keeps them.
function keepPages() {
  return fetch(base + '/offline.json', { credentials: 'same-origin', redirect: 'manual' })
    .then(function (r) { return r.ok ? r.json() : { pages: [], assets: [] }; })
    .then(function (list) {
      return Promise.all([
        caches.open(PAGES).then(function (cache) { return keepEach(cache, list.pages); }),
        caches.open(ASSETS).then(function (cache) { return keepEach(cache, list.assets); })
      ]);
    });
}

function keepEach(cache, urls) {
  return urls.reduce(function (chain, url) {
    return chain.then(function () {
      return fetch(url, { credentials: 'same-origin', redirect: 'manual' }).then(function (r) {
        if (r.ok) return cache.put(url, r);
      });
    });
  }, Promise.resolve());
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(assetFirstFromCache(request));
  } else if (url.pathname === base || url.pathname.indexOf(base + '/') === 0) {
    if (/\/(offline\.json|outbox\/token)$/.test(url.pathname)) return;
    event.respondWith(pageFromNetwork(request));
  }
});

// Static files carry their content hash in their name: a kept copy is never stale.
function assetFirstFromCache(request) {
  return caches.open(ASSETS).then(function (cache) {
    return cache.match(request).then(function (kept) {
      return kept || fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

function pageFromNetwork(request) {
  return caches.open(PAGES).then(function (cache) {
    return fetch(request).then(function (response) {
      if (response.ok && response.type === 'basic') cache.put(request, response.clone());
      return response;
    }, function () {
      return cache.match(request, { ignoreVary: true }).then(function (kept) {
        return kept || notKept();
      });
    });
  });
}

function notKept() {
  var html = '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Offline · fieldreport</title><main>' +
    '<h1>No network</h1><p>This page was not kept on this phone. Reports you file wait on the phone and are sent when the network returns.</p>' +
    '<p><a href="' + base + '">Your home page</a></p></main>';
  return new Response(html, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}
