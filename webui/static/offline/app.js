/* Reading and working with no signal, on a phone whose user ticked "this is my own phone"
   (DESIGN.md, "On a phone"; docs/phones.md).

   - On such a phone: registers the service worker (/sw.js), keeps the static files this page
     needs, shows the offline banner while there is no signal, and queues the case page's
     actions taken offline in IndexedDB, each with the case version it was taken on.
   - When the signal returns the queue is sent in order through the JSON API.  A 409 (the case
     changed) is never re-applied blindly: if the case's timeline already holds this very
     action by this user after the version it was taken on, the earlier try reached the server
     and only its answer was lost, so it counts as sent; otherwise the item goes on the
     "to redo" list, which stays until the user removes it.
   - On a weak signal (the browser says online) the case page's actions and its "show full
     number" are posted through fetch; an action that gets no answer within 15 s goes in the
     same queue, and the full number says it needs a signal, as it does with no signal at all
     (its button is then disabled).
   - Anywhere else (an unticked login, the login page after a logout or a session's end) it
     wipes what the browser kept: both caches, the queue and the service worker. */
(function () {
  'use strict';

  var root = document.getElementById('offline');
  if (!root || !('serviceWorker' in navigator) || !window.caches || !window.indexedDB) return;
  var PAGES = 'casework-pages';
  var STATIC = 'casework-static';
  var DB = 'casework-offline';
  var texts = JSON.parse(document.getElementById('offline-texts').textContent);
  var flushing = false;

  function wipe() {
    var work = [caches.keys().then(function (names) {
      return Promise.all(names.map(function (name) { return caches.delete(name); }));
    })];
    work.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
      return Promise.all(registrations.map(function (r) { return r.unregister(); }));
    }));
    // Opening the database to look would create it: ask for the list first.
    var listed = indexedDB.databases ? indexedDB.databases() : Promise.resolve([{ name: DB }]);
    work.push(listed.then(function (databases) {
      if (!databases.some(function (d) { return d.name === DB; })) return undefined;
      return new Promise(function (resolve) {
        var request = indexedDB.deleteDatabase(DB);
        request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
      });
    }));
    return Promise.all(work);
  }

  if (root.dataset.ownDevice !== 'yes') {
    wipe().catch(function () { return undefined; });
    return;
  }

  // -- the queue, in IndexedDB: "queue" in the order taken, "redo" for the user to see ------
  function database() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore('queue', { keyPath: 'id', autoIncrement: true });
        request.result.createObjectStore('redo', { keyPath: 'id', autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function transact(store, mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result = work(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all(store) { return transact(store, 'readonly', function (s) { return s.getAll(); }); }
  function add(store, item) { return transact(store, 'readwrite', function (s) { return s.add(item); }); }
  function remove(store, id) { return transact(store, 'readwrite', function (s) { return s.delete(id); }); }

  // -- what the page shows ---------------------------------------------------------------
  function caseLink(item) {
    var link = document.createElement('a');
    link.href = '/cases/' + encodeURIComponent(item.number);
    link.textContent = texts['case'] + ' ' + item.number;
    return link;
  }

  function describe(item, why) {
    var li = document.createElement('li');
    li.dataset.case = item.number;
    li.appendChild(caseLink(item));
    var words = [' · ' + item.label];
    var text = item.body.note || item.body.reason;
    if (text) words.push('：' + text);
    if (why) words.push(' (' + why + ')');
    li.appendChild(document.createTextNode(words.join('')));
    return li;
  }

  function render() {
    var banner = document.getElementById('offline-banner');
    banner.hidden = navigator.onLine;
    // The full number is never kept on the phone: with no signal its button cannot work.
    document.querySelectorAll('form.reveal-phone').forEach(function (form) {
      form.querySelector('button').disabled = !navigator.onLine;
      form.parentNode.querySelector('.reveal-needs-signal').hidden = navigator.onLine;
    });
    return Promise.all([all('queue'), all('redo')]).then(function (lists) {
      var waiting = document.getElementById('offline-waiting-list');
      waiting.replaceChildren.apply(waiting, lists[0].map(function (item) {
        return describe(item, '');
      }));
      document.getElementById('offline-waiting').hidden = lists[0].length === 0;
      var redo = document.getElementById('offline-redo-list');
      redo.replaceChildren.apply(redo, lists[1].map(function (item) {
        var li = describe(item, texts[item.why] || item.why);
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'btn btn-sm btn-outline-secondary ms-2';
        button.textContent = texts.remove;
        button.addEventListener('click', function () { remove('redo', item.id).then(render); });
        li.appendChild(button);
        return li;
      }));
      document.getElementById('offline-redo').hidden = lists[1].length === 0;
    });
  }

  // -- taking an action with no signal -------------------------------------------------------
  function queueAction(form, submitter) {
    var fields = new FormData(form);
    var body = {};
    fields.forEach(function (value, name) {
      // form_key only tells the page which measure form to mark; answers_ are the boxes below.
      if (name === 'csrf_token' || name === 'form_key' || name.indexOf('answers_') === 0
          || value === '') return;
      body[name] = value;
    });
    // A danger assessment: every question the form asked, ticked (yes) or not, as the page's
    // own post sends them.
    var boxes = form.querySelectorAll('input[type=checkbox][name^="answers_"]');
    if (boxes.length) {
      body.answers = {};
      boxes.forEach(function (box) { body.answers[box.name.slice('answers_'.length)] = box.checked; });
    }
    body.action = submitter ? submitter.value : body.action;
    body.version = parseInt(body.version, 10);
    if (body.days) body.days = parseInt(body.days, 10);
    // form.action would be the button named "action": read the attribute itself.
    var target = new URL(form.getAttribute('action'), location.href);
    var number = decodeURIComponent(target.pathname.split('/')[2]);
    return add('queue', {
      number: number, body: body, label: submitter ? submitter.textContent.trim() : body.action,
      // The timeline's length when it was taken: an event of this action after that is ours.
      seen: document.querySelectorAll('.timeline .event').length,
      taken_at: new Date().toISOString(),
    }).then(function () {
      form.reset();
      var note = document.createElement('div');
      note.className = 'alert alert-info mt-2 mb-0 offline-queued';
      note.setAttribute('role', 'status');
      note.textContent = texts.queued;
      form.appendChild(note);
      return render();
    });
  }

  // -- a weak signal -----------------------------------------------------------------------
  // The browser counts a weak signal as online, and a plain post that fails or hangs ends on
  // the browser's error page, losing what she typed.  The case page's forms go through fetch
  // instead; any answer the server gives is shown as a plain post would show it, and when none
  // comes (a network error, or nothing within WAIT ms) ``lost`` says what happens instead.
  var WAIT = 15000;

  function post(form, submitter, lost) {
    var fields = new FormData(form);
    if (submitter && submitter.name) fields.append(submitter.name, submitter.value);
    var target = new URL(form.getAttribute('action'), location.href);
    var casePage = target.pathname.split('/').slice(0, 3).join('/');
    var stop = new AbortController();
    var timer = setTimeout(function () { stop.abort(); }, WAIT);
    if (submitter) submitter.disabled = true;
    // A redirect is not followed: the page it leads to (the case with its "Done", or the login
    // page) is opened normally, so its message is read there and not by this fetch.
    return fetch(target.href, {
      method: 'POST', body: new URLSearchParams(fields), credentials: 'same-origin',
      redirect: 'manual', signal: stop.signal,
    }).then(function (answer) {
      // A proxy's "bad gateway" or "timed out" page is no answer from Casework: what she typed
      // would be lost behind it, so it is treated as a signal that failed (the sender settles
      // whether the action was done after all).
      if (answer.status === 502 || answer.status === 503 || answer.status === 504) {
        throw new Error('no answer from Casework');
      }
      if (answer.type === 'opaqueredirect') {
        clearTimeout(timer);
        location.assign(casePage);
        return undefined;
      }
      // The answer's page replaces this one; a fetch's answer is never put in any cache, so a
      // full number shown this way is not kept either.
      return answer.text().then(function (page) {
        clearTimeout(timer);
        document.open();
        document.write(page);
        document.close();
      });
    }).catch(function () {
      clearTimeout(timer);
      if (submitter) submitter.disabled = false;
      return lost();
    });
  }

  function needsSignal(form) {
    form.parentNode.querySelector('.reveal-needs-signal').hidden = false;
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var submitter = event.submitter;
    // Every form that takes an action on the case: the action buttons, a danger assessment and
    // each stage of a protective measure (all post to the case's address with its version).
    if (form.matches('.case-action, .measure-form, #action-assess')) {
      event.preventDefault();
      all('queue').then(function (waiting) {
        // Actions go in the order she took them: with items still waiting, this one goes
        // behind them, and the sender is started if there is a signal.
        if (!navigator.onLine || waiting.length) {
          return queueAction(form, submitter).then(function () { return flush(); });
        }
        // An action whose answer was cut off mid-way was still done or refused: the sender
        // settles which (after a 409 it finds her event; a refusal goes to redo).
        return post(form, submitter, function () {
          return queueAction(form, submitter).then(later);
        });
      });
    } else if (form.classList.contains('reveal-phone')) {
      event.preventDefault();
      if (navigator.onLine) post(form, submitter, function () { needsSignal(form); });
      else needsSignal(form);
    }
  });

  // -- sending the queue when the signal returns ----------------------------------------------
  function json(answer) { return answer.json().catch(function () { return {}; }); }

  // After a 409: is this very action already in the case (an earlier try whose answer was
  // lost)?  Then it was sent, and if it is the latest event the case's version is its version.
  function alreadyThere(item, user) {
    return fetch('/api/v1/cases/' + encodeURIComponent(item.number), {
      credentials: 'same-origin', headers: { Accept: 'application/json' },
    }).then(function (answer) {
      if (!answer.ok) return null;
      return json(answer).then(function (kase) {
        var events = kase.events || [];
        var mine = events.filter(function (e) {
          return e.seq > item.seen && e.actor === user && e.action === item.body.action
            && (e.note || '') === (item.body.note || '')
            && (!item.body.reason || (e.data || {}).reason === item.body.reason);
        });
        if (!mine.length) return null;
        var last = events[events.length - 1];
        return { version: mine[mine.length - 1] === last ? kase.version : null };
      });
    });
  }

  function send(item, state, moved) {
    var body = Object.assign({}, item.body);
    // A second action queued on the same page carries the same version as the first: once the
    // first is in, the only change since is ours, so it goes on from the version it left.
    var key = item.number + '@' + body.version;
    if (moved[key]) body.version = moved[key];
    return fetch('/api/v1/cases/' + encodeURIComponent(item.number) + '/actions', {
      method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json',
                 'X-CSRFToken': state.csrf_token },
    }).then(function (answer) {
      if (answer.ok) {
        return json(answer).then(function (kase) {
          moved[key] = kase.version;
          return 'sent';
        });
      }
      if (answer.status === 409) {
        return alreadyThere(item, state.user).then(function (found) {
          if (!found) return 'changed';
          if (found.version) moved[key] = found.version;
          return 'sent';
        });
      }
      if (answer.status === 401 || answer.status === 429 || answer.status >= 500) {
        throw new Error('not now'); // kept, in order, for the next try
      }
      return 'refused';
    });
  }

  // A signal that has just come back often drops again: what could not go is tried later.
  var retry = null;
  function later() {
    if (retry === null) retry = setTimeout(function () { retry = null; flush(); }, 15000);
    return false;
  }

  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    flushing = true;
    var moved = {};
    return all('queue').then(function (items) {
      if (!items.length) return undefined;
      return fetch('/offline/state', { credentials: 'same-origin', cache: 'no-store' })
        .then(json).then(function (state) {
          if (!state.own_device) return wipe();
          return items.reduce(function (previous, item) {
            return previous.then(function (go) {
              if (!go) return false;
              return send(item, state, moved).then(function (outcome) {
                if (outcome === 'sent') return remove('queue', item.id).then(function () { return true; });
                var redo = Object.assign({}, item, { why: outcome });
                delete redo.id;
                return add('redo', redo).then(function () {
                  return remove('queue', item.id);
                }).then(function () { return true; });
              }, later);
            });
          }, Promise.resolve(true));
        });
    }).catch(later).then(function () {
      flushing = false;
      return render();
    }).then(function () { return all('queue'); }).then(function (left) {
      // An action taken while this run was sending was not in its list: the next run takes it.
      if (left.length && navigator.onLine && retry === null) later();
    });
  }

  // -- keeping this page's static files, and the page itself on the first visit --------------
  function keepStatic() {
    var urls = Array.prototype.map.call(
      document.querySelectorAll('link[rel=stylesheet], link[rel=icon], link[rel=manifest], script[src]'),
      function (element) { return new URL(element.href || element.src, location.href); })
      .filter(function (url) { return url.origin === location.origin; })
      .map(function (url) { return url.href; });
    return caches.open(STATIC).then(function (cache) {
      return Promise.all(urls.map(function (url) {
        return cache.match(url).then(function (kept) { return kept || cache.add(url); });
      }));
    });
  }

  var firstVisit = !navigator.serviceWorker.controller;
  navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' })
    .then(function () { return navigator.serviceWorker.ready; })
    .then(function (registration) {
      if (firstVisit && navigator.onLine && registration.active) {
        registration.active.postMessage({ keep: location.href });
      }
      return navigator.onLine ? keepStatic() : undefined;
    })
    .catch(function () { return undefined; });

  // Logging out wipes the queue with the rest: send it first, and ask before losing any.
  var leaving = false;
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (leaving || form.getAttribute('action') !== '/logout') return;
    event.preventDefault();
    flush().then(function () { return all('queue'); }).then(function (items) {
      if (items.length && !window.confirm(texts.unsent.replace('%(count)s', items.length))) return;
      leaving = true;
      form.submit();
    }).catch(function () { leaving = true; form.submit(); });
  });

  window.addEventListener('online', function () { render(); flush(); });
  window.addEventListener('offline', render);
  render().then(flush).catch(function () { return undefined; });
}());
