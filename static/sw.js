// The service worker of the observer's pages (registered with the scope /m/{mission}/observer,
// without a trailing slash: the home page itself has none).
// It keeps a copy of the observer's home, forms and places so that they open with no
// network, and answers from the copy when the network fails. Pages are asked of the
// network first, so that anyone online sees them as they are now. Reports are never
// sent from here: the page's outbox does that (static/outbox.js).
//
// Observers pay for their data: the copy is fetched again only when the server's version
// of it changes (each observer page carries it, in X-Offline-Version), when it is a few
// hours old, or when the observer asks for it (the home page's button, `?keep=now`).
'use strict';
var PAGES = 'fieldreport-pages-1';
var ASSETS = 'fieldreport-assets';
// Beyond this age the copy is fetched again even if its version is the same: pages also
// show things their version does not follow (a renamed place, the count of reports).
var KEPT_FOR_MS = 4 * 60 * 60 * 1000;
var base = new URL(self.registration.scope).pathname.replace(/\/$/, '');
// Entries of the pages' cache that are not pages: what was kept and when, and the page
// shown for a page not kept. Signing out deletes the whole cache, these with it.
var KEPT = base + '/offline.json';
var FALLBACK = base + '/offline';
var keeping = null;

self.addEventListener('install', function (event) {
  event.waitUntil(keep().catch(function () {}).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf('fieldreport-pages-') === 0 && n !== PAGES;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// Each page view online posts this: the copy is fetched if it is old or missing.
self.addEventListener('message', function (event) {
  if (event.data === 'keep-pages') event.waitUntil(keepIfStale(null).catch(function () {}));
});

// What was kept last ({version, asked, keptAt, pages}), or null.
function kept() {
  return caches.open(PAGES).then(function (cache) { return cache.match(KEPT); })
    .then(function (r) { return r ? r.json() : null; })
    .catch(function () { return null; });
}

// Fetches the copy when the server's version differs from the kept one (a null version:
// not known here), or when the kept one is old or missing. A version already asked for
// is not asked again: were the copy ever to come back under another version than its
// pages name, the phone would otherwise fetch it on every page.
function keepIfStale(version) {
  return kept().then(function (k) {
    // A clock set back makes the copy look younger than it is: then it is old.
    var age = k ? Date.now() - k.keptAt : -1;
    var same = k && (version === null || version === k.version || version === k.asked);
    if (same && age >= 0 && age < KEPT_FOR_MS) return k.pages.length;
    // Old but of the same version: asked with its version, the server answers 304 and
    // nothing is downloaded again unless the copy changed.
    return keep(version, same ? k.version : null);
  });
}

// Fetches the whole copy once, whatever asks for it meanwhile; resolves to the number of
// pages kept.
function keep(asked, unless) {
  if (!keeping) {
    keeping = fetchCopy(asked || null, unless || null).then(function (n) { keeping = null; return n; },
      function (e) { keeping = null; throw e; });
  }
  return keeping;
}

// The server sends every page of the copy in one response (src/web/offline.rs): pages
// that differ only by their place compress together to little more than one of them.
// With `unless`, the version kept: a copy still of that version is not sent again (304).
function fetchCopy(asked, unless) {
  var headers = unless ? { 'If-None-Match': '"' + unless + '"' } : {};
  return fetch(KEPT, { credentials: 'same-origin', redirect: 'manual', cache: 'no-store', headers: headers })
    .then(function (r) {
      if (r.status === 304) return stillKept();
      if (!r.ok) throw new Error('offline copy ' + r.status);
      return r.json().then(function (copy) { return store(copy, asked); });
    });
}

// The copy kept is as the server has it: it counts as kept now.
function stillKept() {
  return Promise.all([kept(), caches.open(PAGES)]).then(function (opened) {
    var k = opened[0];
    if (!k) return 0;
    k.keptAt = Date.now();
    return opened[1].put(KEPT, new Response(JSON.stringify(k), { headers: { 'Content-Type': 'application/json' } }))
      .then(function () { return k.pages.length; });
  });
}

// Keeps the copy the server sent, asked for under the version `asked`.
function store(copy, asked) {
  return Promise.all([kept(), caches.open(PAGES)]).then(function (opened) {
    var before = opened[0], cache = opened[1];
    var urls = copy.pages.map(function (p) { return p.url; });
    var headers = copy.headers || {};
    var writes = copy.pages.map(function (p) { return cache.put(p.url, html(p.html, 200, headers)); });
    writes.push(cache.put(FALLBACK, html(copy.fallback, 503, headers)));
    // Pages no longer in the copy (a station no longer assigned) are not kept.
    ((before && before.pages) || []).forEach(function (url) {
      if (urls.indexOf(url) < 0) writes.push(cache['delete'](url));
    });
    return Promise.all(writes).then(function () {
      var record = JSON.stringify({ version: copy.version, asked: asked, keptAt: Date.now(), pages: urls });
      return cache.put(KEPT, new Response(record, { headers: { 'Content-Type': 'application/json' } }));
    }).then(function () { return keepAssets(copy.assets); }).then(function () { return urls.length; });
  });
}

// A kept page, with the headers the server gives pages (its security policy above all).
function html(text, status, extra) {
  var headers = { 'Content-Type': 'text/html; charset=utf-8' };
  Object.keys(extra || {}).forEach(function (name) { headers[name] = extra[name]; });
  return new Response(text, { status: status, headers: headers });
}

// The pages' files, each fetched only if not kept yet (their names change with them).
function keepAssets(urls) {
  return caches.open(ASSETS).then(function (cache) {
    return cache.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) {
        return urls.indexOf(new URL(k.url).pathname) < 0;
      }).map(function (k) { return cache['delete'](k); }));
    }).then(function () {
      return Promise.all(urls.map(function (url) {
        return cache.match(url).then(function (hit) {
          if (hit) return;
          return fetch(url, { credentials: 'same-origin' }).then(function (r) {
            if (r.ok) return cache.put(url, r);
          });
        });
      }));
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(assetFirstFromCache(request));
  } else if (url.pathname === base || url.pathname.indexOf(base + '/') === 0) {
    if (/\/(offline\.json|outbox\/token)$/.test(url.pathname)) return;
    if (url.pathname === base && url.searchParams.get('keep') === 'now') {
      event.respondWith(keepNow(request));
      return;
    }
    var answer = pageFromNetwork(request);
    event.respondWith(answer.then(function (a) { return a.response; }));
    event.waitUntil(answer.then(function (a) {
      return a.version ? keepIfStale(a.version) : null;
    }).catch(function () {}));
  }
});

// The observer asked for a fresh copy: once it is kept, their home says how many pages.
// Otherwise the home page as the network gives it (signed out: the sign-in), or the kept
// one without a network.
function keepNow(request) {
  return keep().then(function (n) {
    return Response.redirect(base + '?kept=' + n, 303);
  }, function () {
    return fetch(request).catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(base).then(function (kept) { return kept || notKept(cache); });
      });
    });
  });
}

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

// The page from the network, and the version of the copy it says to keep; the kept page
// when the network fails.
function pageFromNetwork(request) {
  return caches.open(PAGES).then(function (cache) {
    return fetch(request).then(function (response) {
      // A page opened online is the freshest copy of itself; the home page after "refresh
      // the copy" (?kept=N) is the home page, already kept without its notice.
      if (response.ok && response.type === 'basic' && !new URL(request.url).searchParams.has('kept')) {
        cache.put(request, response.clone());
      }
      return { response: response, version: response.headers.get('X-Offline-Version') };
    }, function () {
      return cache.match(request, { ignoreVary: true }).then(function (kept) {
        return { response: kept || notKept(cache) };
      });
    });
  });
}

// The server's page for a page not kept, in the observer's language; before any copy
// was kept, a plain one.
function notKept(cache) {
  return cache.match(FALLBACK).then(function (page) {
    if (page) return page;
    var text = '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<title>Offline · fieldreport</title><main>' +
      '<h1>No network</h1><p>This page was not kept on this phone. Reports you file wait on the phone and are sent when the network returns.</p>' +
      '<p><a href="' + base + '">Your home page</a></p></main>';
    return html(text, 503);
  });
}
