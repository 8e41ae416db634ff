// Live updates for the participant page and the wall; everything works without this file.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var key = live.dataset.key;
  var deadline = null;
  var frozen = 0;
  var running = false;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The TUI's rule (facilitator/core/clock.py): h:mm:ss from an hour up, mm:ss below it.
  function clock(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor(seconds % 3600 / 60);
    var rest = pad(minutes) + ":" + pad(seconds % 60);
    return hours ? hours + ":" + rest : rest;
  }

  function showTimer() {
    var el = document.querySelector(".timer");
    if (!el || deadline === null) { return; }
    var left = running ? Math.max(0, Math.round((deadline - Date.now()) / 1000)) : frozen;
    el.textContent = clock(left);
    var paused = document.querySelector(".paused");  // a stopped clock says so, in words
    if (paused) { paused.hidden = running; }
  }

  // How many characters are left in a text box; the box itself stops at its maxlength.
  function countChars(box) {
    var counter = document.getElementById(box.getAttribute("aria-describedby") || "");
    if (!counter || !counter.dataset.left) { return; }
    var left = Math.max(0, parseInt(box.getAttribute("maxlength"), 10) - box.value.length);
    counter.textContent = counter.dataset.left.replace("{n}", String(left));
    counter.classList.toggle("full", left === 0);
  }

  function countAll() {
    document.querySelectorAll("textarea[maxlength]").forEach(countChars);
  }

  // Read aloud with the phone's own voices: nothing leaves the phone. A button shows only where
  // the phone has a voice for the text's language, and the text is in that language's script.
  var synth = window.speechSynthesis;
  var SCRIPTS = {
    ar: /[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]/,
    fa: /[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]/,
    uk: /[\u0400-\u04ff]/,
    nl: /[A-Za-z\u00c0-\u024f]/,
    en: /[A-Za-z\u00c0-\u024f]/
  };
  var reading = null;

  function languageOf(el) {
    var holder = el.closest("[lang]");
    return (holder ? holder.getAttribute("lang") : "").toLowerCase().split("-")[0];
  }

  function voiceFor(lang) {
    if (!synth || !window.SpeechSynthesisUtterance || !lang) { return null; }
    var found = null;
    (synth.getVoices() || []).forEach(function (voice) {
      var code = String(voice.lang || "").toLowerCase().replace("_", "-").split("-")[0];
      if (code === lang && (!found || (voice.default && !found.default))) { found = voice; }
    });
    return found;
  }

  function speakButtons() {
    document.querySelectorAll("button.speak").forEach(function (button) {
      var target = document.getElementById(button.dataset.speak);
      var lang = target ? languageOf(target) : "";
      var script = SCRIPTS[lang];
      button.hidden = !(target && voiceFor(lang) && (!script || script.test(target.textContent)));
    });
  }

  function stopReading() {
    if (reading) {
      reading.setAttribute("aria-pressed", "false");
      reading.textContent = reading.dataset.label;
      reading = null;
    }
  }

  function readAloud(button) {
    var target = document.getElementById(button.dataset.speak);
    var was = reading;
    synth.cancel();
    stopReading();
    if (was === button || !target) { return; }
    var voice = voiceFor(languageOf(target));
    if (!voice) { return; }
    var utterance = new window.SpeechSynthesisUtterance(target.textContent.trim());
    utterance.voice = voice;
    utterance.lang = voice.lang;
    utterance.onend = utterance.onerror = function () { if (reading === button) { stopReading(); } };
    button.dataset.label = button.textContent;
    button.textContent = live.dataset.stop;  // one translation for every button, on the page
    button.setAttribute("aria-pressed", "true");
    reading = button;
    synth.speak(utterance);
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("button.speak");
    if (button && synth) { readAloud(button); }
  });
  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("textarea[maxlength]")) { countChars(ev.target); }
  });
  if (synth && synth.addEventListener) { synth.addEventListener("voiceschanged", speakButtons); }

  function setTimer(remaining, isRunning) {
    if (remaining === null || remaining === undefined) { deadline = null; return; }
    running = !!isRunning;
    frozen = remaining;
    deadline = Date.now() + remaining * 1000;
    showTimer();
  }

  function readTimer() {
    var el = document.querySelector(".timer");
    if (el) { setTimer(parseInt(el.dataset.remaining, 10), el.dataset.running === "1"); }
  }

  function countDots() {
    var form = document.querySelector("form.vote[data-rule=dots]");
    if (!form) { return; }
    var used = 0;
    form.querySelectorAll("select").forEach(function (s) { used += parseInt(s.value || "0", 10); });
    var left = parseInt(form.dataset.dots, 10) - parseInt(form.dataset.kept || "0", 10) - used;
    var box = form.querySelector(".left");
    box.hidden = false;
    box.classList.toggle("over", left < 0);
    box.querySelector(".dots-left").textContent = String(left);
  }

  function notice(message, ok) {
    var el = document.getElementById("notice");
    if (!el || !message) { return; }
    el.textContent = message;
    el.className = ok ? "" : "error";
    el.hidden = false;
  }

  function nonce() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // What was typed into the edit boxes and not saved, by the form it belongs to, with the text
  // the edit started from.
  function editDrafts() {
    var drafts = {};
    document.querySelectorAll("form.edit").forEach(function (form) {
      var box = form.querySelector("textarea");
      var was = form.querySelector("input[name=was]");
      if (box && box.value !== box.defaultValue) {
        drafts[form.getAttribute("action")] = { text: box.value, was: was ? was.value : "" };
      }
    });
    return drafts;
  }

  // Put a fresh page in place of this one, keeping what was typed and picked in the same round.
  // A page pushed to every phone at once has no form token or nonce of its own: this phone's
  // token stays, and each send form gets a nonce of its own. An edit not saved yet keeps the
  // text it started from, so that saving it over a newer text is refused, unless ``rebased``:
  // the phone was just told of the newer text. Returns whether it was a page.
  function swap(html, rebased) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
    if (!fresh) { return false; }
    var token = live.dataset.csrf;
    if (!fresh.dataset.csrf) { fresh.dataset.csrf = token || ""; }
    fresh.querySelectorAll("input[name=csrf]").forEach(function (input) {
      if (!input.value && token) { input.value = token; }
    });
    fresh.querySelectorAll("input[name=nonce]").forEach(function (input) {
      if (!input.value) { input.value = nonce(); }
    });
    var typing = document.querySelector("form.send textarea");
    var draft = typing ? typing.value : "";
    var picked = document.querySelector("form.send input[name=answers]:checked");
    var answers = picked ? picked.value : "";
    var round = document.querySelector("form.send input[name=round]");
    var edits = editDrafts();
    var said = document.getElementById("notice");
    var saying = fresh.querySelector("#notice");
    if (said && saying && !said.hidden) {  // what the phone was told last stays said
      saying.textContent = said.textContent;
      saying.className = said.className;
      saying.hidden = false;
    }
    live.replaceWith(fresh);
    live = fresh;
    key = fresh.dataset.key;
    var again = document.querySelector("form.send textarea");
    var sameRound = document.querySelector("form.send input[name=round]");
    if (again && round && sameRound && round.value === sameRound.value) {
      // The same round: what was typed and picked stays.
      if (draft) { again.value = draft; }
      document.querySelectorAll("form.send input[name=answers]").forEach(function (choice) {
        if (answers && choice.value === answers) { choice.checked = true; }
      });
    }
    // An edit not saved yet stays in its box, open, under the newest text.
    document.querySelectorAll("form.edit").forEach(function (form) {
      var draft = edits[form.getAttribute("action")];
      var was = form.querySelector("input[name=was]");
      if (draft === undefined) { return; }
      form.querySelector("textarea").value = draft.text;
      if (was && !rebased) { was.value = draft.was; }
      var details = form.closest("details");
      if (details) { details.open = true; }
    });
    reading = null;
    readTimer();
    countDots();
    countAll();
    speakButtons();
    return true;
  }

  function later(seconds) {
    return new Promise(function (done) { setTimeout(done, seconds * 1000 * (1 + Math.random())); });
  }

  // This page's address for loading it again: the language it was opened in (the wall's
  // ?lang=ar) is kept, a one-time notice (?ok=sent) is not.
  function here() {
    var lang = new URLSearchParams(location.search).get("lang");
    return location.pathname + (lang ? "?lang=" + encodeURIComponent(lang) : "");
  }

  // Load this page again; a busy server (503, 429) is asked again after its Retry-After.
  function refresh(tries, rebased) {
    tries = tries || 0;
    return fetch(here(), { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (res) {
        if ((res.status === 503 || res.status === 429) && tries < RETRIES) {
          return later(parseInt(res.headers.get("Retry-After") || "2", 10) || 2)
            .then(function () { return refresh(tries + 1, rebased); });
        }
        return res.text().then(function (html) { return swap(html, rebased); });
      });
  }

  // The hidden fields a form holds from now on, as the server said (a send form's new key,
  // the text an edit starts from, the ballot's revision): sent again, the form is not
  // mistaken for the one just saved, even if the page could not be loaded again.
  function update(form, fields) {
    Object.keys(fields || {}).forEach(function (name) {
      var input = form.querySelector("input[type=hidden][name=" + name + "]");
      if (input) { input.value = fields[name]; }
    });
  }

  function online() {
    if (navigator.onLine !== false) { return Promise.resolve(); }
    return new Promise(function (done) { window.addEventListener("online", done, { once: true }); });
  }

  var RETRIES = 8;

  document.addEventListener("change", function (ev) {
    if (ev.target.closest && ev.target.closest("form.vote")) { countDots(); }
  });

  function post(form, body, tries) {
    var button = form.querySelector("button[type=submit]");
    var offline = live.dataset.offline;
    return fetch(form.action, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (res) {
      var wait = parseInt(res.headers.get("Retry-After") || "0", 10);
      // An answer cut off on its way is as good as none: the form goes again.
      return res.json().catch(function () { return { ok: false, message: offline, offline: true }; })
        .then(function (answer) { answer.busy = res.status === 503 || res.status === 429; answer.wait = wait; return answer; });
    }, function () {
      return { ok: false, message: offline, offline: true };
    }).then(function (answer) {
      if (answer.ok) {
        update(form, answer.form);
        if (form.classList.contains("send")) { form.reset(); countAll(); }
        return refresh().catch(function () {}).then(function () { notice(answer.message, true); });
      }
      if (answer.reload) {
        // The page is older than what is stored: show the newest, with what was typed kept.
        return refresh(0, true).catch(function () {}).then(function () { notice(answer.message, false); });
      }
      notice(answer.message, false);
      if ((answer.busy || answer.offline) && tries < RETRIES) {
        // The server is busy or out of reach: the text stays in the form and goes again by
        // itself, the same form (a send that did arrive is recognised by its key and text).
        return online().then(function () { return later(answer.wait || 2); })
          .then(function () { return post(form, body, tries + 1); });
      }
    }).catch(function () {
      notice(offline, false);
    }).then(function () {
      if (button) { button.disabled = false; }
    });
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("js")) { return; }
    ev.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    post(form, new URLSearchParams(new FormData(form)), 0);
  });

  var pending = null;
  function refreshSoon(spreadMs) {
    // Many phones hear the same news at once: each waits a random moment before it asks.
    if (pending !== null) { return; }
    pending = setTimeout(function () { pending = null; refresh(); }, Math.random() * (spreadMs || 0));
  }

  function onState(ev) {
    var state = JSON.parse(ev.data);
    setTimer(state.remaining, state.running);
    if (state.key === key) { return; }
    key = state.key;
    var opened = document.getElementById("voting-opened");
    if (state.reload === false && state.voting && opened) {
      // Voting opened: say so at once; the ballot loads when the participant asks for it.
      opened.hidden = false;
      return;
    }
    if (state.reload === false && state.page) {
      swap(state.page);  // the new round, the same for every phone: no need to ask
      return;
    }
    refreshSoon(state.spread_ms);
  }

  // The live connection. When it drops (the Wi-Fi blinked, the laptop restarted) or is refused
  // (the laptop is busy), the page connects again by itself after a random wait: a room whose
  // connections all dropped at once comes back spread over two seconds, not in one instant,
  // and is back within five. The browser's own retry would come at the same moment on every
  // phone, and never after a refusal. The first message says what changed meanwhile.
  var source = null;
  var failures = 0;
  var again = null;

  function listen() {
    again = null;
    source = new EventSource(live.dataset.events);
    source.addEventListener("open", function () { failures = 0; });
    source.addEventListener("error", function () {
      source.close();
      reconnect(false);
    });
    source.addEventListener("state", onState);
    source.addEventListener("mine", function () { refreshSoon(500); });
  }

  function reconnect(soon) {
    if (again !== null) { return; }
    var base = soon ? 1000 : Math.min(4000, 2000 + 1000 * failures);
    failures += 1;
    again = setTimeout(listen, base * (0.25 + Math.random()));
  }

  if (window.EventSource && live.dataset.events) {
    listen();
    window.addEventListener("online", function () {
      // The phone says its network is back: no need to wait out a long pause.
      if (source && source.readyState === EventSource.CLOSED && again !== null) {
        clearTimeout(again);
        again = null;
        reconnect(true);
      }
    });
  }
  readTimer();
  countDots();
  countAll();
  speakButtons();
  setInterval(showTimer, 1000);
  document.documentElement.classList.add("js");
}());
