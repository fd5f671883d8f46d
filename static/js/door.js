/* The door: camera scanning with jsQR, check-ins, and an offline mode.
 *
 * Online, every scan goes to the check-in API. When the network drops (or the server
 * can't answer), the scan is checked against the local copy of the guest list (ticket
 * tokens only as SHA-256 hashes), admitted locally, and queued in IndexedDB with its
 * nonce and scan time; the queue is sent, in order, when the server answers again. Nothing
 * is removed from the queue before the server has acknowledged it.
 */
(function () {
  "use strict";

  var root = document.getElementById("door");
  if (!root) return;
  var config = JSON.parse(document.getElementById("door-config").textContent);
  var M = config.messages;
  var fold = window.Meetup.fold; // static/js/text.js
  var DEBOUNCE_MS = 3000; // the same code in front of the camera is one scan
  var REFRESH_MS = 15000; // guest list and counter, while online
  var SYNC_MS = 4000;

  var state = {
    guests: new Map(), // rsvp id -> guest
    byHash: new Map(), // sha256(ticket token) -> guest
    queue: [], // mirror of the IndexedDB queue, oldest first
    online: navigator.onLine,
    last: null, // the last admission on this phone, for Undo: {rsvpId, name, nonce}
    syncing: false,
    blocked: false, // the server refused us (door link revoked): stop syncing
    listSaved: null, // when the guest list was last stored for offline use
    answers: 0, // server answers applied to the list so far
    answered: new Map(), // rsvp id -> {n: answer count then, the answer}
  };
  var device = deviceId();

  // ------------------------------------------------------------ helpers

  function $(id) { return document.getElementById(id); }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  function nonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.from(a, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function deviceId() {
    var id = localStorage.getItem("door-device");
    if (!id) {
      id = "phone-" + nonce().slice(0, 8);
      localStorage.setItem("door-device", id);
    }
    return id;
  }

  function localTime(iso) {
    if (!iso) return "";
    return clock(new Intl.DateTimeFormat(config.locale || undefined, {
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: config.timezone,
    }).format(new Date(iso)));
  }

  // "19:02" as the page's language writes a time: "19 h 02", "7 h 05" in French.
  function clock(hhmm) {
    return hhmm && /^fr/.test(config.locale || "") ? hhmm.replace(/^0(\d)/, "$1").replace(":", " h ") : hhmm;
  }

  function tokenFromScan(text) {
    text = (text || "").trim();
    if (/^[A-Za-z0-9_-]{16,64}$/.test(text)) return text;
    try {
      var m = new URL(text).pathname.match(/^\/t\/([A-Za-z0-9_-]{16,64})\/?$/);
      return m ? m[1] : null;
    } catch (e) {
      return null;
    }
  }

  function sha256(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buf) {
      return Array.from(new Uint8Array(buf), function (b) {
        return b.toString(16).padStart(2, "0");
      }).join("");
    });
  }

  function buzz(pattern) {
    if (navigator.vibrate) navigator.vibrate(pattern);
  }

  // ------------------------------------------------------------ IndexedDB

  var dbPromise = new Promise(function (resolve, reject) {
    var req = indexedDB.open("meetup-door", 1);
    req.onupgradeneeded = function () {
      req.result.createObjectStore("lists"); // event key -> {guests, counts, at}
      var q = req.result.createObjectStore("queue", { keyPath: "nonce" });
      q.createIndex("event", "eventKey");
    };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });

  function tx(store, mode, fn) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var result = fn(t.objectStore(store));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function loadQueue() {
    return tx("queue", "readonly", function (s) {
      return s.index("event").getAll(config.eventKey);
    }).then(function (items) {
      state.queue = (items || []).sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  function enqueue(item) {
    item.eventKey = config.eventKey;
    item.seq = Date.now() + Math.random();
    state.queue.push(item);
    updateNet();
    return tx("queue", "readwrite", function (s) { s.put(item); });
  }

  function dequeue(item) {
    state.queue = state.queue.filter(function (q) { return q.nonce !== item.nonce; });
    updateNet();
    return tx("queue", "readwrite", function (s) { s.delete(item.nonce); });
  }

  // ------------------------------------------------------------ guest list

  function setGuests(list) {
    state.guests = new Map();
    state.byHash = new Map();
    list.forEach(function (g) {
      state.guests.set(g.id, g);
      if (g.hash) state.byHash.set(g.hash, g);
    });
    // Check-ins still in the queue are not on the server's list yet.
    state.queue.forEach(applyQueued);
    renderCounts();
    renderGuests();
  }

  function applyQueued(item) {
    var g = item.rsvpId != null ? state.guests.get(item.rsvpId) : state.byHash.get(item.hash);
    if (!g) return;
    if (item.kind === "undo") {
      g.checked_in_at = null;
    } else if (!g.checked_in_at) {
      g.checked_in_at = item.scanned_at;
      g.checked_in_by = M.thisPhone;
    }
  }

  function loadLocalList() {
    return tx("lists", "readonly", function (s) { return s.get(config.eventKey); }).then(function (saved) {
      if (saved) {
        state.listSaved = saved.at;
        if (saved.cancelled) markCancelled();
        setGuests(saved.guests);
      }
    });
  }

  // Cancelled after this page was loaded (or cached): refuse from now on, offline too.
  // A cancellation is final, so nothing ever clears it.
  function markCancelled() {
    config.cancelled = true;
    $("door-cancelled").hidden = false;
    $("show-walkin").hidden = true;
    $("walkin-panel").hidden = true;
  }

  function refreshList() {
    var before = state.answers;
    return fetch(config.urls.guests, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (resp.status === 403) { blocked(); throw new Error("forbidden"); }
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        return resp.json();
      })
      .then(function (data) {
        setOnline(true);
        if (data.event.cancelled) markCancelled();
        // A check-in answered while the list was on its way is newer than the list.
        data.guests.forEach(function (g) {
          var seen = state.answered.get(g.id);
          if (seen && seen.n > before) {
            g.checked_in_at = seen.answer.checked_in_at;
            g.checked_in_by = seen.answer.checked_in_by;
          }
        });
        setGuests(data.guests);
        var at = new Date().toISOString();
        return tx("lists", "readwrite", function (s) {
          s.put({ guests: data.guests, cancelled: config.cancelled, at: at }, config.eventKey);
        }).then(function () { state.listSaved = at; });
      })
      .catch(function (err) {
        if (err instanceof TypeError) setOnline(false);
      });
  }

  function renderCounts(counts) {
    if (!counts) {
      counts = { checked_in: 0, going: 0 };
      state.guests.forEach(function (g) {
        if (g.status !== "going") return;
        counts.going += 1;
        if (g.checked_in_at) counts.checked_in += 1;
      });
    }
    $("count-in").textContent = counts.checked_in;
    $("count-going").textContent = counts.going;
  }

  // A volunteer types "garcia" for García: accents are dropped on both sides.

  function renderGuests() {
    var panel = $("search-panel");
    if (panel.hidden) return;
    var q = fold($("search").value.trim());
    var list = $("guest-list");
    list.textContent = "";
    var shown = 0;
    state.guests.forEach(function (g) {
      if (shown >= 30 || (q && fold(g.name).indexOf(q) === -1)) return;
      shown += 1;
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "door-guest-name";
      name.textContent = g.name;
      if (g.guest_of) {
        var of = document.createElement("small");
        of.className = "door-guest-of";
        of.textContent = " " + fill(M.guestOf, { name: g.guest_of });
        name.appendChild(of);
      }
      li.appendChild(name);
      if (g.status !== "going" || config.cancelled) {
        var tag = document.createElement("span");
        tag.className = "door-tag bad";
        tag.textContent = g.status === "going" ? M.event_cancelled : M[g.reason] || M.cancelled;
        li.appendChild(tag);
      } else if (g.checked_in_at) {
        var done = document.createElement("span");
        done.className = "door-tag warn";
        done.textContent = fill(M.checkedIn, { time: localTime(g.checked_in_at) });
        li.appendChild(done);
      } else {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = M.checkIn;
        btn.addEventListener("click", function () { manualCheckin(g); });
        li.appendChild(btn);
      }
      list.appendChild(li);
    });
    if (!shown) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = M.noMatch;
      list.appendChild(none);
    }
  }

  // ------------------------------------------------------------ results

  function show(kind, title, detail) {
    var box = $("result");
    $("let-in-anyway").hidden = true; // offered again only by the answer that allows it
    box.className = "door-result " + kind + (title.length > 24 ? " long" : "");
    $("result-title").textContent = title;
    $("result-detail").textContent = detail || "";
    box.scrollIntoView({ block: "nearest" });
    // Restart the "fresh result" animation so a repeat looks new.
    void box.offsetWidth;
    box.classList.add("fresh");
  }

  function showAnswer(a, offline) {
    var note = offline ? M.offlineNote : "";
    var guestOf = a.guest_of ? fill(M.guestOf, { name: a.guest_of }) : "";
    if (a.status === "checked_in") {
      show("ok", fill(M.welcome, { name: a.name }), [guestOf, note].filter(Boolean).join(" · "));
      buzz(120);
    } else if (a.status === "already_checked_in") {
      var time = clock(a.checked_in_time) || localTime(a.checked_in_at);
      var by = a.checked_in_by;
      var title = by ? fill(M.already, { time: time, by: by }) : fill(M.alreadyNoBy, { time: time });
      show("warn", title, a.flagged ? M.flagged : (a.name || "") + (note ? " · " + note : ""));
      buzz([80, 80, 80]);
    } else if (a.status === "outside_window") {
      // Too early or too late: counts nowhere (an organizer may let them in anyway).
      var edge = fill(a.reason === "too_early" ? M.tooEarlyDetail : M.tooLateDetail, {
        name: a.name || "", time: a.door_time || "",
      });
      show("bad", M[a.reason] || M.too_early, edge + (note ? " · " + note : ""));
      buzz(600);
    } else if (a.status === "not_attending") {
      show("bad", M[a.reason] || M.cancelled, a.name || "");
      buzz(600);
    } else if (a.reason === "other_event") {
      show("bad", M.otherEvent, fill(M.otherEventDetail, { name: a.name, event: a.other_event }));
      buzz(600);
    } else if (a.reason === "not_a_ticket") {
      show("bad", M.notATicket, M.notATicketDetail);
      buzz(600);
    } else {
      show("bad", M.notOnList, note);
      buzz(600);
    }
  }

  // A named guest is "g<id>" in the list and answers with guest_id; a host by the RSVP id.
  function ref(a) {
    return a.guest_id != null ? "g" + a.guest_id : a.rsvp_id;
  }

  function refBody(id, body) {
    if (typeof id === "string" && id.charAt(0) === "g") body.guest_id = Number(id.slice(1));
    else body.rsvp_id = id;
    return body;
  }

  function remember(answer, item) {
    if (answer.status === "checked_in") {
      state.last = { rsvpId: ref(answer), name: answer.name, nonce: item.nonce };
      $("undo").disabled = false;
    }
  }

  function updateGuest(a) {
    state.answers += 1;
    state.answered.set(ref(a), { n: state.answers, answer: a });
    var g = state.guests.get(ref(a));
    if (!g) return;
    g.checked_in_at = a.checked_in_at;
    g.checked_in_by = a.checked_in_by;
  }

  // ------------------------------------------------------------ network

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": config.csrf },
      body: JSON.stringify(body),
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.status === 403) blocked();
        // 5xx is treated like no network: the scan is kept and sent again later.
        if (resp.status >= 500) throw new TypeError("HTTP " + resp.status);
        return { ok: resp.ok, status: resp.status, data: data };
      });
    });
  }

  function setOnline(on) {
    state.online = on;
    updateNet();
  }

  function updateNet() {
    var net = $("net");
    var n = state.queue.length;
    if (state.blocked) {
      net.className = "door-net bad";
      net.textContent = M.linkRevoked;
    } else if (!state.online) {
      net.className = "door-net offline";
      net.textContent = fill(M.offline, { n: n });
    } else if (n) {
      net.className = "door-net syncing";
      net.textContent = fill(M.syncing, { n: n });
    } else {
      net.className = "door-net online";
      net.textContent = M.online;
    }
  }

  function blocked() {
    state.blocked = true;
    updateNet();
  }

  function sync() {
    if (state.syncing || state.blocked || !state.queue.length || !navigator.onLine) {
      return Promise.resolve();
    }
    state.syncing = true;
    var item = state.queue[0];
    var url = item.kind === "undo" ? config.urls.undo : config.urls.checkin;
    var body = { nonce: item.nonce, method: "offline", device: device, scanned_at: item.scanned_at };
    if (item.rsvpId != null) refBody(item.rsvpId, body); else body.token = item.token;
    return post(url, body)
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status); // kept in the queue
        setOnline(true);
        updateGuest(r.data);
        if (r.data.counts) renderCounts(r.data.counts);
        if (r.data.flagged) show("warn", fill(M.already, {
          time: clock(r.data.checked_in_time), by: r.data.checked_in_by,
        }), r.data.name + " · " + M.flagged);
        return dequeue(item);
      })
      .then(function () {
        state.syncing = false;
        if (state.queue.length) return sync();
        return refreshList();
      })
      .catch(function (err) {
        state.syncing = false;
        if (err instanceof TypeError) setOnline(false);
      });
  }

  // ------------------------------------------------------------ actions

  // Online first; if the server can't be reached, `fallback` checks locally and queues.
  function checkinOnline(body, item, fallback) {
    if (!state.online || state.queue.length) return fallback();
    body.nonce = item.nonce;
    body.device = device;
    body.scanned_at = item.scanned_at;
    return post(config.urls.checkin, body)
      .then(function (r) {
        if (!r.ok) { show("bad", r.data.message || M.error, ""); return; }
        showAnswer(r.data, false);
        if (r.data.status === "outside_window" && config.organizer) offerOverride(body);
        updateGuest(r.data);
        renderCounts(r.data.counts);
        remember(r.data, item);
        renderGuests();
      })
      .catch(function () {
        setOnline(false);
        return fallback();
      });
  }

  // An organizer lets someone in outside the door's window: the same request, overridden.
  function offerOverride(body) {
    var button = $("let-in-anyway");
    button.hidden = false;
    button.onclick = function () {
      button.hidden = true;
      var item = { kind: "checkin", nonce: nonce(), scanned_at: new Date().toISOString() };
      var again = {
        token: body.token, rsvp_id: body.rsvp_id, guest_id: body.guest_id, method: body.method, override: true,
      };
      return checkinOnline(again, item, function () { show("bad", M.error, ""); });
    };
  }

  // Offline, the phone refuses scans outside the door's window as the server would.
  function outsideWindow(g, item) {
    var at = Date.parse(item.scanned_at);
    var opens = Date.parse(config.window[0]);
    var closes = Date.parse(config.window[1]);
    if (at >= opens && at <= closes) return null;
    var early = at < opens;
    return {
      status: "outside_window", reason: early ? "too_early" : "too_late", name: g.name,
      door_time: localTime(config.window[early ? 0 : 1]),
    };
  }

  function scanned(text) {
    var item = { kind: "checkin", nonce: nonce(), scanned_at: new Date().toISOString() };
    return checkinOnline({ token: text, method: "scan" }, item, function () {
      return offlineCheckin(item, tokenFromScan(text));
    });
  }

  function offlineCheckin(item, token) {
    if (!token) { showAnswer({ status: "not_found", reason: "not_a_ticket" }, true); return; }
    return sha256(token).then(function (hash) {
      var g = state.byHash.get(hash);
      if (!g) { showAnswer({ status: "not_found", reason: "unknown" }, true); return; }
      item.token = token;
      item.hash = hash;
      return admitLocally(g, item);
    });
  }

  function admitLocally(g, item) {
    if (config.cancelled || g.status !== "going") {
      var reason = config.cancelled ? "event_cancelled" : g.reason;
      showAnswer({ status: "not_attending", reason: reason, name: g.name }, true);
      return;
    }
    var refusal = outsideWindow(g, item);
    if (refusal) { showAnswer(refusal, true); return; }
    if (g.checked_in_at) {
      showAnswer({
        status: "already_checked_in", name: g.name,
        checked_in_at: g.checked_in_at, checked_in_by: g.checked_in_by,
      }, true);
      return;
    }
    g.checked_in_at = item.scanned_at;
    g.checked_in_by = M.thisPhone;
    var answer = { status: "checked_in", name: g.name, rsvp_id: g.id, guest_of: g.guest_of };
    showAnswer(answer, true);
    remember(answer, item);
    renderCounts();
    renderGuests();
    return enqueue(item);
  }

  function manualCheckin(g) {
    var item = { kind: "checkin", nonce: nonce(), scanned_at: new Date().toISOString(), rsvpId: g.id };
    // The name is found and tapped: the box is emptied for the next person.
    $("search").value = "";
    return checkinOnline(refBody(g.id, { method: "manual" }), item, function () {
      return admitLocally(g, item);
    });
  }

  function undoLast() {
    var last = state.last;
    if (!last) return;
    state.last = null;
    $("undo").disabled = true;
    var g = state.guests.get(last.rsvpId);
    var queued = state.queue.find(function (q) { return q.nonce === last.nonce; });
    var done = function () {
      if (g) { g.checked_in_at = null; g.checked_in_by = null; }
      show("idle", fill(M.undone, { name: last.name }), "");
      renderCounts();
      renderGuests();
    };
    if (queued) return dequeue(queued).then(done); // never reached the server
    var item = { kind: "undo", nonce: nonce(), scanned_at: new Date().toISOString(), rsvpId: last.rsvpId };
    if (!state.online || state.queue.length) return enqueue(item).then(done);
    return post(config.urls.undo, refBody(last.rsvpId, { nonce: item.nonce, device: device }))
      .then(function (r) {
        if (!r.ok) { show("bad", r.data.message || M.error, ""); return; }
        updateGuest(r.data);
        done();
        renderCounts(r.data.counts);
      })
      .catch(function () {
        setOnline(false);
        return enqueue(item).then(done);
      });
  }

  function walkin(event) {
    event.preventDefault();
    var form = event.target;
    if (!state.online) { show("bad", M.walkinNeedsNetwork, ""); return; }
    var item = { nonce: nonce() };
    var override = form.querySelector("[name=override]");
    post(config.urls.walkin, {
      name: form.querySelector("[name=name]").value,
      email: form.querySelector("[name=email]").value,
      override: !!(override && override.checked),
      nonce: item.nonce,
      device: device,
    })
      .then(function (r) {
        if (!r.ok) {
          var fields = r.data.fields || {};
          var first = Object.keys(fields).map(function (k) { return fields[k][0]; })[0];
          show("bad", r.data.message || M.error, first || "");
          return;
        }
        form.reset();
        showAnswer(r.data, false);
        renderCounts(r.data.counts);
        remember(r.data, item);
        return refreshList();
      })
      .catch(function () {
        setOnline(false);
        show("bad", M.walkinNeedsNetwork, "");
      });
  }

  // ------------------------------------------------------------ camera

  var video = $("video");
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  var lastText = null;
  var lastSeen = 0;

  function startCamera() {
    $("camera-start").hidden = true;
    $("camera-note").hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return cameraFailed();
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        return video.play();
      })
      .then(function () { setTimeout(tick, 100); })
      .catch(cameraFailed);
  }

  function cameraFailed() {
    // Said in the camera box: the failure can arrive after a scan by name, whose answer stays.
    $("camera-start").hidden = false;
    $("camera-note").textContent = M.cameraFailed;
    $("camera-note").hidden = false;
  }

  function tick() {
    if (!document.hidden && video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, 640 / video.videoWidth);
      var w = (canvas.width = Math.round(video.videoWidth * scale));
      var h = (canvas.height = Math.round(video.videoHeight * scale));
      ctx.drawImage(video, 0, 0, w, h);
      var code = jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
      var now = Date.now();
      if (code && code.data) {
        if (code.data !== lastText || now - lastSeen > DEBOUNCE_MS) scanned(code.data);
        lastText = code.data;
        lastSeen = now;
      }
    }
    setTimeout(tick, 150);
  }

  // ------------------------------------------------------------ start

  function toggle(panelId) {
    var panel = $(panelId);
    panel.hidden = !panel.hidden;
    if (!panel.hidden) {
      renderGuests();
      var input = panel.querySelector("input");
      if (input) input.focus();
    }
  }

  $("undo").addEventListener("click", undoLast);
  $("show-search").addEventListener("click", function () { toggle("search-panel"); });
  $("show-walkin").addEventListener("click", function () { toggle("walkin-panel"); });
  $("search").addEventListener("input", renderGuests);
  $("walkin-form").addEventListener("submit", walkin);
  $("camera-start").addEventListener("click", startCamera);
  window.addEventListener("online", function () { setOnline(true); sync(); });
  window.addEventListener("offline", function () { setOnline(false); });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.urls.serviceWorker, { scope: location.pathname })
      .catch(function () {});
  }

  // Exposed for tests and debugging: the queue length and a way to feed a scan by hand.
  window.door = {
    scan: scanned,
    sync: sync,
    queued: function () { return state.queue.length; },
    listSaved: function () { return state.listSaved; },
    refresh: function () { return refreshList(); },
    online: function () { return state.online; },
  };

  loadQueue()
    .then(loadLocalList)
    .catch(function () {})
    .then(function () {
      updateNet();
      startCamera();
      return refreshList();
    })
    .then(sync);
  setInterval(function () { if (navigator.onLine) refreshList(); }, REFRESH_MS);
  setInterval(sync, SYNC_MS);
})();
