// hookq's page script: live updates, copy buttons, the Columns menu and
// search as you type. The pages work without it.
"use strict";

(function () {
  // Copy: a click on any [data-copy] puts its text on the clipboard.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    copyText(button.dataset.copy).then(function () {
      button.textContent = "Copied";
      button.classList.add("copied");
    }, function () {
      button.textContent = "Press Ctrl+C";
    }).then(function () {
      setTimeout(function () {
        button.textContent = label;
        button.classList.remove("copied");
      }, 1500);
    });
  });

  // Columns: the choice is kept in localStorage, per browser.
  var area = document.getElementById("hooks-area");
  var KEY = "hookq.columns";
  function loadColumns() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function applyColumns() {
    if (!area) { return; }
    var chosen = loadColumns();
    document.querySelectorAll("[data-column]").forEach(function (box) {
      var name = box.dataset.column;
      if (Object.prototype.hasOwnProperty.call(chosen, name)) { box.checked = !!chosen[name]; }
      area.classList.toggle("hide-col-" + name, !box.checked);
    });
  }
  document.addEventListener("change", function (event) {
    var box = event.target.closest("[data-column]");
    if (!box) { return; }
    var chosen = loadColumns();
    chosen[box.dataset.column] = box.checked;
    try { localStorage.setItem(KEY, JSON.stringify(chosen)); } catch (e) { /* private mode */ }
    applyColumns();
  // The menu closes on a click elsewhere, or Escape (focus back on it).
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
  });
  applyColumns();

  // Swap the live parts of the page for those of a fresh copy of `url`.
  var swapping = false;
  function refresh(url) {
    if (swapping) { return Promise.resolve(); }
    swapping = true;
    return fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (old) {
          var next = fresh.getElementById(old.id);
          if (!next || next.innerHTML === old.innerHTML) { return; }
          // Keep open what the reader opened.
          var open = Array.prototype.map.call(old.querySelectorAll("details[open]"), function (d, i) { return i; });
          old.replaceWith(next);
          var details = next.querySelectorAll("details");
          open.forEach(function (i) { if (details[i]) { details[i].open = true; } });
        });
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { swapping = false; });
  }

  // Search as you type: the table is fetched for the term, not filtered
  // here, so paging and 10,000 hooks work the same.
  var search = document.querySelector("[data-filter]");
  if (search) {
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var term = search.value.trim();
        var url = term ? "/?q=" + encodeURIComponent(term) : "/";
        history.replaceState(null, "", url);
        refresh(url);
      }, 120);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "/" && document.activeElement === document.body) {
        event.preventDefault();
        search.focus();
      }
    });
  }

  // Live: poll the change counter; fetch the page only when it changed.
  if (document.querySelector("[data-live]")) {
    // The version the page was rendered at: a change made since shows at
    // the first poll.
    var seen = document.body.dataset.version || null;
    var poll = function () {
      if (document.hidden) { return; }
      fetch("/api/version", { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (version) {
          document.body.classList.toggle("live", version !== null);
          if (version === null) { return; }
          if (seen !== null && version !== seen) { refresh(location.href); }
          seen = version;
        })
        .catch(function () { document.body.classList.remove("live"); });
    };
    poll();
    setInterval(poll, 500);
  }
})();
