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

  // Put a fresh page in place of this one, keeping what was typed and picked in the same round.
  // A page pushed to every phone at once has no form token or nonce of its own: this phone's
  // token stays, and each send form gets a nonce of its own.
  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
    if (!fresh) { return; }
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
    reading = null;
    readTimer();
    countDots();
    countAll();
    speakButtons();
  }

  function refresh() {
    return fetch(location.pathname, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (res) { return res.text(); })
      .then(swap);
  }

  document.addEventListener("change", function (ev) {
    if (ev.target.closest && ev.target.closest("form.vote")) { countDots(); }
  });

  var RETRIES = 8;

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
      return res.json().catch(function () { return { ok: false, message: offline }; })
        .then(function (answer) { answer.busy = res.status === 503 || res.status === 429; answer.wait = wait; return answer; });
    }).then(function (answer) {
      if (answer.ok) {
        if (form.classList.contains("send")) { form.reset(); countAll(); }
        return refresh().then(function () { notice(answer.message, true); });
      }
      notice(answer.message, false);
      if (answer.busy && tries < RETRIES) {
        // The server is busy: the text stays in the form and goes again by itself.
        var delay = (answer.wait || 2) * 1000 * (1 + Math.random());
        return new Promise(function (done) { setTimeout(done, delay); })
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

  if (window.EventSource && live.dataset.events) {
    var source = new EventSource(live.dataset.events);
    source.addEventListener("state", function (ev) {
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
    });
    source.addEventListener("mine", function () { refreshSoon(500); });
  }
  readTimer();
  countDots();
  countAll();
  speakButtons();
  setInterval(showTimer, 1000);
  document.documentElement.classList.add("js");
}());
