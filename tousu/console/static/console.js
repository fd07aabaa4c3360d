/* tousu console: live queue (server-sent events), script preview, small helpers. No dependencies. */
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function liveQueue(section) {
    var state = document.getElementById("live-state");
    var target = document.getElementById("queue-live");
    var rowsUrl = section.getAttribute("data-rows");
    var pending = null;
    function refresh() {
      pending = null;
      fetch(rowsUrl + window.location.search, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          target.innerHTML = html;
          section.setAttribute("data-refreshed", String(Date.now()));
        })
        .catch(function () { /* next event retries */ });
    }
    var source = new EventSource(section.getAttribute("data-live"));
    source.addEventListener("open", function () { if (state) state.className = "live-dot on"; });
    source.addEventListener("error", function () { if (state) state.className = "live-dot off"; });
    source.addEventListener("complaint", function () {
      if (!pending) pending = setTimeout(refresh, 150);
    });
  }

  function scriptPreview(form) {
    var body = form.querySelector("textarea[name=body]");
    var complaint = form.querySelector("select[name=complaint]");
    var out = document.getElementById("preview-text");
    var problems = document.getElementById("preview-problems");
    var url = form.getAttribute("data-preview");
    var timer = null;
    function run() {
      var data = new URLSearchParams();
      data.set("key", form.querySelector("input[name=key]").value);
      data.set("body", body.value);
      data.set("complaint", complaint ? complaint.value : "");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: data.toString()
      })
        .then(function (r) { return r.json(); })
        .then(function (result) {
          out.textContent = result.text || "";
          problems.innerHTML = "";
          (result.problems || []).forEach(function (p) {
            var li = document.createElement("li");
            li.textContent = (p.line ? p.line_label + " · " : "") + p.message;
            problems.appendChild(li);
          });
          var marks = document.getElementById("line-marks");
          if (marks) {
            marks.textContent = "";
            var lines = body.value.split("\n").length;
            var bad = {};
            (result.problems || []).forEach(function (p) { if (p.line) bad[p.line] = p.message; });
            for (var i = 1; i <= lines; i++) {
              var d = document.createElement("div");
              d.textContent = bad[i] ? "⚠ " + i : String(i);
              if (bad[i]) { d.className = "bad"; d.title = bad[i]; }
              marks.appendChild(d);
            }
          }
        })
        .catch(function () { /* keep the last preview */ });
    }
    body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 300); });
    if (complaint) complaint.addEventListener("change", run);
    run();
  }

  function scriptPicker(select) {
    var target = document.getElementById(select.getAttribute("data-fill"));
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.getAttribute("data-text") !== null) {
        target.value = option.getAttribute("data-text");
        var tpl = document.getElementById("reply-template");
        if (tpl) tpl.value = option.getAttribute("data-version") || "";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("[data-live]");
    if (section && window.EventSource) liveQueue(section);
    var editor = document.querySelector("form[data-preview]");
    if (editor) scriptPreview(editor);
    document.querySelectorAll("select[data-fill]").forEach(scriptPicker);
  });
})();
