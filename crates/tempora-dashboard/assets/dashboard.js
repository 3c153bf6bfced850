// Tempora dashboard: the little script the pages use. No dependencies.
"use strict";

// Elements with data-poll (a table's body, the chart) are replaced every
// data-every ms by the fragment the server renders at that address: the
// jobs table's rows, a job's history and chart, the nodes. Unchanged
// answers are left alone; open output panels and the focus are kept.
function startPolling() {
  document.querySelectorAll("[data-poll]").forEach(function (part) {
    var every = parseInt(part.getAttribute("data-every") || "3000", 10);
    var url = part.getAttribute("data-poll");
    var last = null;
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null || html === last) { return; }
          last = html;
          var open = [];
          part.querySelectorAll("details[open]").forEach(function (d) {
            var row = d.closest("tr");
            if (row) { open.push(row.rowIndex); }
          });
          var focused = part.contains(document.activeElement)
            ? document.activeElement.getAttribute("href") : null;
          part.innerHTML = html;
          var table = part.closest("table");
          open.forEach(function (index) {
            var row = table && table.rows[index];
            var details = row && row.querySelector("details");
            if (details) { details.open = true; }
          });
          if (focused) {
            part.querySelectorAll("a[href]").forEach(function (link) {
              if (link.getAttribute("href") === focused) { link.focus(); }
            });
          }
        })
        .catch(function () {});
    }, every);
  });
}

// Forms with data-confirm ask first.
function confirmForms() {
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
}

// The playground answers as you type.
function playground() {
  var form = document.getElementById("playground");
  if (!form) { return; }
  var description = document.getElementById("description");
  var error = document.getElementById("error");
  var times = document.getElementById("times");
  var timer = null;
  var sequence = 0;
  function ask() {
    var params = new URLSearchParams(new FormData(form));
    var mine = ++sequence;
    fetch(form.getAttribute("data-endpoint") + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (mine !== sequence) { return; }
        times.innerHTML = "";
        if (answer.error) {
          description.textContent = "";
          error.hidden = false;
          error.textContent = (answer.error.field ? answer.error.field + ": " : "") + answer.error.reason;
          form.querySelectorAll("input").forEach(function (input) { input.removeAttribute("aria-invalid"); });
          var field = answer.error.field && (form.elements[answer.error.field] || null);
          if (field && field.setAttribute) { field.setAttribute("aria-invalid", "true"); }
          return;
        }
        error.hidden = true;
        error.textContent = "";
        form.querySelectorAll("input").forEach(function (input) { input.removeAttribute("aria-invalid"); });
        description.textContent = answer.description + " (" + answer.zone + ")";
        answer.fire_times.forEach(function (fire) {
          var item = document.createElement("li");
          var time = document.createElement("time");
          time.setAttribute("datetime", fire.time);
          time.textContent = fire.time;
          item.appendChild(time);
          var local = document.createElement("span");
          local.className = "muted";
          local.textContent = "  " + fire.local;
          item.appendChild(local);
          if (fire.dst) {
            var mark = document.createElement("abbr");
            mark.className = "dst";
            mark.title = "a DST transition falls on this day";
            mark.textContent = "DST";
            item.appendChild(document.createTextNode(" "));
            item.appendChild(mark);
          }
          times.appendChild(item);
        });
        if (answer.fire_times.length === 0) {
          var none = document.createElement("li");
          none.textContent = "no fire times";
          times.appendChild(none);
        }
      })
      .catch(function () {});
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); ask(); });
  ask();
}

// Forms with data-async post in the background and say what happened in
// the page's status line: the page stays, and its polling shows the run.
function asyncForms() {
  document.querySelectorAll("form[data-async]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = document.getElementById("action-status");
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        body: new URLSearchParams(new FormData(form))
      }).then(function (response) {
        var url = new URL(response.url, window.location.href);
        var error = url.searchParams.get("error");
        var notice = url.searchParams.get("notice");
        status.hidden = false;
        status.className = error || !response.ok ? "error" : "notice";
        status.textContent = error || notice || ("refused (" + response.status + ")");
      }).catch(function () {
        status.hidden = false;
        status.className = "error";
        status.textContent = "the dashboard did not answer";
      });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  startPolling();
  asyncForms();
  confirmForms();
  playground();
});
