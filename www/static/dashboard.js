// ReplyBubble dashboard: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Copy buttons: data-copy names the element whose text is copied.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });
  // Forms that ask before doing something that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
    });
  });
  // An open dashboard keeps its agent online (away after 10 minutes without one): tell the
  // server every two minutes while this page is open.
  var csrf = document.querySelector("meta[name=replybubble-csrf]");
  if (csrf && window.fetch) {
    setInterval(function () {
      var body = new URLSearchParams();
      body.set("csrf", csrf.getAttribute("content"));
      fetch("/dashboard/heartbeat", { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
    }, 120000);
  }
  // Settings > Widget: the colour picker and the hex field follow each other.
  document.querySelectorAll("input[data-mirror]").forEach(function (picker) {
    var field = document.getElementById(picker.getAttribute("data-mirror"));
    if (!field) return;
    picker.addEventListener("input", function () { field.value = picker.value; });
    field.addEventListener("input", function () {
      if (/^#[0-9a-fA-F]{6}$/.test(field.value)) picker.value = field.value.toLowerCase();
    });
  });
  // The conversation view: new messages arrive live (text only, never HTML).
  var thread = document.getElementById("thread");
  // Pages of older messages have no stream (data-events), only the latest page goes live.
  if (thread && thread.getAttribute("data-events") && window.EventSource) {
    var last = Number(thread.getAttribute("data-last")) || 0;
    var scroll = function () { thread.scrollTop = thread.scrollHeight; };
    scroll();
    var source = new EventSource(thread.getAttribute("data-events"));
    source.addEventListener("message", function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      if (m.seq <= last || thread.querySelector('[data-id="' + m.id + '"]')) return;
      last = m.seq;
      var li = document.createElement("li");
      li.className = "msg " + (m.author === "agent" ? "agent" : "visitor");
      li.setAttribute("data-id", String(m.id));
      var p = document.createElement("p");
      p.textContent = m.body;
      var t = document.createElement("time");
      t.setAttribute("datetime", m.created_at);
      t.textContent = (m.author === "agent" ? "Agent" : "Visitor") + " · " + m.when;
      li.appendChild(p);
      li.appendChild(t);
      if (m.author === "visitor" && m.verified === false && thread.hasAttribute("data-verified")) {
        var tag = document.createElement("span");
        tag.className = "unverified-tag";
        tag.textContent = "Sent unverified";
        li.appendChild(tag);
      }
      thread.appendChild(li);
      var none = document.getElementById("no-messages");
      if (none) none.remove();
      scroll();
    });
  }
})();
