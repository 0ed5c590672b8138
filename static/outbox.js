// The observer's outbox. A report sent from a form is first kept on the phone (IndexedDB,
// which survives closing the browser and restarting the phone) under its submission id,
// then sent; while the network is away it waits and is sent when the network returns, or
// when the observer taps "Send now". The server files a submission id once, so a report
// sent twice (a lost reply, two tabs) is stored once. Without this script the forms post
// as plain HTML forms, exactly as before.
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[data-base], script[data-login]');
  if (!script || !window.indexedDB || !window.fetch || !window.Promise) return;
  if (script.hasAttribute('data-login')) return waitingHere();
  var base = script.getAttribute('data-base');
  var user = script.getAttribute('data-user');
  var RETRY_MS = 30000;
  var SEND_TIMEOUT_MS = 45000;
  // `filed`: reports this page has seen filed, added to the count the page was drawn with.
  var state = { signedOut: false, sending: false, note: '', filed: 0 };
  // The page's texts in its language (src/i18n, keys under `outbox.`).
  var text = {};
  try { text = JSON.parse(script.getAttribute('data-text') || '{}'); } catch (e) { text = {}; }
  function t(key) { return text[key] || key; }
  function count(key, n) {
    var one = text.lang === 'fr' ? n <= 1 : n === 1;
    return t(key + (one ? '.one' : '.other')).replace('{n}', n);
  }

  if ('serviceWorker' in navigator) {
    // The browser checks the worker for updates after page views: through its HTTP cache,
    // which keeps it an hour (src/web/assets.rs), not over the network each time.
    navigator.serviceWorker.register('/sw.js', { scope: base, updateViaCache: 'all' }).then(function (r) {
      // Each visit online lets it fetch its copy of the pages again if that copy is old.
      if (r.active) r.active.postMessage('keep-pages');
    }, function () {});
  }
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist();

  // ----- the store -----

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open('fieldreport-outbox', 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore('waiting', { keyPath: 'id' });
        request.result.createObjectStore('sent', { keyPath: 'id' });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result = work(tx.objectStore(storeName));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all(storeName) {
    return run(storeName, 'readonly', function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).filter(function (i) { return i.base === base; });
    });
  }
  function put(storeName, item) { return run(storeName, 'readwrite', function (s) { s.put(item); }); }
  function remove(storeName, id) { return run(storeName, 'readwrite', function (s) { s['delete'](id); }); }

  // The sign-in page says how many reports wait on this phone for their observer: they
  // are sent once that observer signs in.
  function waitingHere() {
    var note = document.getElementById('waiting-here');
    if (!note) return;
    run('waiting', 'readonly', function (s) { return s.getAll(); }).then(function (items) {
      var n = (items || []).filter(function (i) { return i.state === 'waiting'; }).length;
      if (!n) return;
      var one = note.getAttribute('data-lang') === 'fr' ? n <= 1 : n === 1;
      note.textContent = note.getAttribute(one ? 'data-one' : 'data-other').replace('{n}', n);
      note.hidden = false;
    }, function () {});
  }

  // ----- sending -----

  function withTimeout(promise) {
    return Promise.race([promise, new Promise(function (_, reject) {
      setTimeout(function () { reject(new Error('timeout')); }, SEND_TIMEOUT_MS);
    })]);
  }

  // A fresh form token for the signed-in observer, or null when nobody is signed in.
  function token() {
    return withTimeout(fetch(base + '/outbox/token', {
      credentials: 'same-origin', redirect: 'manual', headers: { Accept: 'application/json' }
    })).then(function (r) {
      if (r.type === 'opaqueredirect' || r.status === 401 || r.status === 403) return null;
      if (!r.ok) throw new Error('token ' + r.status);
      return r.json();
    });
  }

  function post(item, csrf) {
    return withTimeout(fetch(item.action, {
      method: 'POST', credentials: 'same-origin', redirect: 'manual',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-CSRF-Token': csrf
      },
      body: item.body
    })).then(function (r) {
      if (r.type === 'opaqueredirect') return { outcome: 'signed_out' };
      return r.json().then(function (json) {
        if (json.outcome) return json;
        if (r.status >= 500 || r.status === 429 || r.status === 408) return { outcome: 'later' };
        return { outcome: 'refused', message: (json.error && json.error.message) || t('refused') };
      }, function () { return { outcome: 'later' }; });
    });
  }

  // Sends every report of this observer that waits; stops at the first network failure.
  function sendAll() {
    if (state.sending) return Promise.resolve();
    state.sending = true;
    return all('waiting').then(function (items) {
      var mine = items.filter(function (i) { return i.user === user && i.state === 'waiting'; });
      if (!mine.length) return;
      return token().then(function (t) {
        if (!t || String(t.user) !== user) { state.signedOut = true; return; }
        state.signedOut = false;
        var chain = Promise.resolve(true);
        mine.forEach(function (item) {
          chain = chain.then(function (going) { return going && sendOne(item, t.token); });
        });
        return chain;
      });
    }).then(function () { state.note = ''; }, function () {
      state.note = t('no_network');
    }).then(function () { state.sending = false; return render(); });
  }

  // Sends one report, renewing a stale token once: the server's reply.
  function deliver(item, csrf) {
    return post(item, csrf).then(function (reply) {
      if (reply.outcome !== 'stale') return reply;
      return token().then(function (t) { return t ? post(item, t.token) : { outcome: 'signed_out' }; });
    });
  }

  // What a reply means for the copy on the phone; resolves true to go on with the next.
  // `asked`: the observer is on the page that sent it and is shown the server's answer.
  function settle(item, reply, asked) {
    // The server has a report that says the same, filed just before: most likely this one
    // sent again. The observer, if shown the server's page, chooses there; otherwise the
    // copy waits for them to say whether it is a new report, and is never just dropped.
    if (reply.outcome === 'filed' && reply.already) {
      if (asked) return remove('waiting', item.id).then(function () { return true; });
      item.state = 'already';
      item.message = t('already').replace('{reference}', reply.reference);
      return put('waiting', item).then(function () { return true; });
    }
    if (reply.outcome === 'filed') {
      state.filed += 1;
      return put('sent', {
        id: item.id, base: base, reference: reply.reference, receipt: reply.receipt,
        title: item.title, place: item.place, sentAt: Date.now()
      }).then(function () { return remove('waiting', item.id); }).then(function () { return true; });
    }
    if (reply.outcome === 'signed_out') { state.signedOut = true; return Promise.resolve(false); }
    if (reply.outcome === 'invalid' || reply.outcome === 'refused') {
      item.state = reply.outcome;
      item.message = reply.message;
      return put('waiting', item).then(function () { return true; });
    }
    return Promise.resolve(false);
  }

  function sendOne(item, csrf) {
    return deliver(item, csrf).then(function (reply) { return settle(item, reply, false); });
  }

  // ----- what the observer sees -----

  function element(tag, text, className) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  // What the observer sees of the outbox: reports waiting to send in a box at the top of
  // the page (below the form on a form page, so that the form and its errors come first),
  // reports the server would not take as a compact line that opens to list them, and on
  // the home page the last receipts. The report open in this page's form is in neither:
  // it is the one being fixed.
  function render() {
    return Promise.all([all('waiting'), all('sent')]).then(function (lists) {
      var main = document.querySelector('main');
      if (!main) return;
      var open = document.querySelector('form[data-outbox]');
      var openId = open && open.elements.submission_id ? open.elements.submission_id.value : null;
      var others = lists[0].filter(function (i) { return i.id !== openId; });
      var waiting = others.filter(function (i) { return i.state === 'waiting'; });
      var toFix = others.filter(function (i) { return i.state !== 'waiting'; });
      var sent = lists[1].sort(function (a, b) { return b.sentAt - a.sentAt; }).slice(0, 5);
      var home = document.querySelector('ul.home-forms');
      var box = place('outbox', 'section', 'outbox', function (e) {
        e.setAttribute('role', 'status');
        e.setAttribute('aria-live', 'polite');
        if (open) main.appendChild(e); else main.insertBefore(e, main.firstChild);
      });
      box.hidden = !waiting.length && !(home && sent.length);
      if (waiting.length) {
        box.appendChild(element('h2', count('waiting', waiting.length)));
        var note = state.note || (navigator.onLine === false ? t('no_network') : '');
        if (note) box.appendChild(element('p', note, 'muted'));
        if (state.signedOut) {
          var again = element('a', t('sign_in_again'), 'button');
          again.href = '/login?next=' + encodeURIComponent(base);
          box.appendChild(again);
        } else {
          var now = element('button', t('send_now'), 'send-now');
          now.type = 'button';
          now.disabled = state.sending;
          now.addEventListener('click', function () { sendAll(); });
          box.appendChild(now);
        }
        var list = element('ul', '', 'plain');
        waiting.forEach(function (item) { list.appendChild(line(item)); });
        box.appendChild(list);
      }
      if (sent.length && home) {
        box.appendChild(element('h2', t('sent')));
        var done = element('ul', '', 'plain sent');
        sent.forEach(function (s) {
          var li = element('li');
          var a = element('a', s.reference);
          a.href = s.receipt;
          li.appendChild(a);
          li.appendChild(document.createTextNode(' · ' + s.title + ' · ' + s.place));
          done.appendChild(li);
        });
        box.appendChild(done);
      }
      var fix = place('outbox-fix', 'details', 'outbox-fix', function (e) {
        if (home) home.parentNode.insertBefore(e, home.nextSibling); else main.appendChild(e);
      });
      fix.hidden = !toFix.length;
      if (toFix.length) {
        fix.appendChild(element('summary', count('to_fix', toFix.length)));
        var fixes = element('ul', '', 'plain');
        toFix.forEach(function (item) { fixes.appendChild(line(item)); });
        fix.appendChild(fixes);
      }
      var reports = document.getElementById('report-count');
      if (reports && state.filed) {
        reports.textContent = ' (' + (Number(reports.getAttribute('data-count')) + state.filed) + ')';
      }
    });
  }

  // The element with this id, emptied, or a new one put in its place by `insert`. An open
  // list of reports to fix stays open while it is drawn again.
  function place(id, tag, className, insert) {
    var e = document.getElementById(id);
    if (e) {
      var opened = e.open;
      e.textContent = '';
      if (opened) e.open = true;
      return e;
    }
    e = element(tag, '', className);
    e.id = id;
    insert(e);
    return e;
  }

  function line(item) {
    var time = new Date(item.savedAt).toLocaleTimeString(text.lang || [], { hour: '2-digit', minute: '2-digit' });
    var li = element('li', item.title + ' · ' + item.place + ' · ' + t('kept_at').replace('{time}', time));
    if (item.state === 'invalid' || item.state === 'refused') {
      li.appendChild(element('p', item.message, 'field-error'));
      var fix = element('button', t(item.state === 'invalid' ? 'open_to_fix' : 'remove'), 'secondary');
      fix.type = 'button';
      fix.addEventListener('click', function () {
        if (item.state === 'invalid') return openToFix(item);
        if (window.confirm(t('remove_confirm'))) {
          remove('waiting', item.id).then(render);
        }
      });
      li.appendChild(fix);
    }
    if (item.state === 'already') {
      li.appendChild(element('p', item.message, 'field-error'));
      var anew = element('button', t('send_as_new'), 'secondary');
      anew.type = 'button';
      anew.addEventListener('click', function () {
        var fields = new URLSearchParams(item.body);
        fields.set('again', '1');
        item.body = fields.toString();
        item.state = 'waiting';
        put('waiting', item).then(sendAll);
      });
      li.appendChild(anew);
      var same = element('button', t('same_report'), 'secondary');
      same.type = 'button';
      same.addEventListener('click', function () { remove('waiting', item.id).then(render); });
      li.appendChild(same);
    }
    return li;
  }

  // Posts the kept report as the plain form would: the server shows it with each answer
  // to fix beside its question, under the same submission id.
  function openToFix(item) {
    token().then(function (t) {
      if (!t) { state.signedOut = true; return render(); }
      var form = element('form');
      form.method = 'post';
      form.action = item.action;
      var fields = new URLSearchParams(item.body);
      fields.set('_csrf', t.token);
      fields.forEach(function (value, name) {
        var input = element('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    }, function () {
      state.note = t('connect_to_open');
      render();
    });
  }

  // ----- the report form -----

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // The current time in the mission's time zone as the time field writes it.
  function nowIn(zone) {
    try {
      var parts = {};
      new Intl.DateTimeFormat('en-GB', {
        timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
      }).formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
      return parts.year + '-' + parts.month + '-' + parts.day + 'T' + parts.hour + ':' + parts.minute;
    } catch (e) { return null; }
  }

  // A form sent back with answers to fix: the list of them is read first, and each of its
  // links leads to its question.
  var summary = document.getElementById('error-summary');
  if (summary) summary.focus();

  var form = document.querySelector('form[data-outbox]');
  if (form) {
    if (form.hasAttribute('data-new')) {
      // A blank form may come from the phone's copy of the page: each report gets an id
      // of its own and the time of now.
      form.elements.submission_id.value = uuid();
      var time = nowIn(form.getAttribute('data-zone'));
      if (time && form.elements.observed_at) form.elements.observed_at.value = time;
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var fields = new URLSearchParams(new FormData(form));
      fields['delete']('_csrf');
      var item = {
        id: form.elements.submission_id.value, base: base, user: user, state: 'waiting',
        action: form.action, body: fields.toString(), savedAt: Date.now(),
        title: form.getAttribute('data-title'), place: form.getAttribute('data-place')
      };
      var button = form.querySelector('button[type=submit]');
      if (button) button.disabled = true;
      // The token the report went with: the form sent again to show what to fix carries
      // it too, as the page's own may be stale (a copy kept on the phone).
      var fresh = null;
      put('waiting', item).then(function () {
        return token().then(function (t) {
          if (!t) return { outcome: 'signed_out' };
          fresh = t.token;
          return deliver(item, t.token);
        });
      }).then(function (reply) {
        if (reply.outcome === 'later') return kept(false);
        return settle(item, reply, true).then(function () {
          if (reply.outcome === 'filed' && !reply.already) return window.location.assign(reply.receipt);
          // The server shows the answers to fix (or why it refuses the report, or that it
          // was filed already), as it would to the plain form; a copy to fix waits on the
          // phone until it is sent.
          if (reply.outcome === 'invalid' || reply.outcome === 'refused' || reply.already) {
            if (fresh && form.elements._csrf) form.elements._csrf.value = fresh;
            return form.submit();
          }
          return kept(reply.outcome === 'signed_out');
        });
      }, function () { return kept(false); });

      function kept(signedOut) {
        state.signedOut = signedOut;
        state.note = signedOut ? '' : t('kept');
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          window.location.assign(base);
          return;
        }
        // No copy of the other pages on this phone: stay, ready for the next report.
        form.reset();
        form.elements.submission_id.value = uuid();
        var time = nowIn(form.getAttribute('data-zone'));
        if (time && form.elements.observed_at) form.elements.observed_at.value = time;
        if (button) button.disabled = false;
        window.scrollTo(0, 0);
        return render();
      }
    });
  }

  // Signing out forgets the copies of this observer's pages (on a shared phone, the next
  // person must not read them offline); reports still waiting stay, and go only once
  // their own observer signs in again.
  var signOut = document.querySelector('form.signout');
  if (signOut && window.caches) {
    signOut.addEventListener('submit', function (event) {
      event.preventDefault();
      var submit = function () { signOut.submit(); };
      caches.delete('fieldreport-pages-1').then(submit, submit);
    });
  }

  window.addEventListener('online', sendAll);
  setInterval(function () { if (navigator.onLine !== false) sendAll(); }, RETRY_MS);
  render().then(function () { if (navigator.onLine !== false) sendAll(); });
})();
