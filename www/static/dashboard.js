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
      markRead();
    });
    // What this agent has read: the live view reports what it showed while visible.
    var markRead = function () {
      if (document.visibilityState !== "visible" || !csrf) return;
      var body = new URLSearchParams();
      body.set("csrf", csrf.getAttribute("content"));
      body.set("seq", String(last));
      fetch(location.pathname.replace(/\/$/, "") + "/read", { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
    };
    document.addEventListener("visibilitychange", markRead);
  }

  // The live inbox: every page follows the workspace's conversations. The tab title counts the
  // conversations waiting for a reply, the list (first page) moves without a reload, and an
  // agent who opted in hears a sound or sees a notification on a new visitor message.
  var inboxUrl = document.body.getAttribute("data-inbox");
  var list = document.querySelector("[data-test=conversations]");
  var openId = thread ? Number(location.pathname.split("/")[3]) : 0;
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  var setCount = function (n) { document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle; };
  var el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  var upsert = function (c) {
    if (!list || list.hasAttribute("data-paged")) return;
    if (list.hasAttribute("data-identified") && !c.verified) return;
    var li = list.querySelector('li[data-id="' + c.id + '"]');
    if (!li) {
      li = el("li");
      li.setAttribute("data-id", String(c.id));
    }
    // Rebuilt from text, never parsed as HTML.
    var a = el("a", "row");
    a.href = "/dashboard/conversations/" + c.id;
    var who = el("span", "who");
    var name = el("span", "name", c.title);
    if (c.verified) name.appendChild(el("span", "verified", " Verified"));
    if (c.user_id) {
      var uid = el("code", "uid", c.user_id);
      uid.setAttribute("data-test", "user-id");
      name.append(" ", uid);
    }
    who.appendChild(name);
    var meta = el("span", "meta", c.subtitle);
    if (c.unsigned) meta.append(" ", el("span", "unsigned-tag", "unsigned"));
    if (c.email_shared) meta.append(" ", el("span", "pill warn", "Same email as another contact"));
    who.appendChild(meta);
    a.appendChild(who);
    var preview = el("span", "preview");
    if (c.last_unverified) {
      var tag = el("span", "unverified-tag", "Sent unverified");
      tag.setAttribute("data-test", "sent-unverified");
      preview.append(tag, " ");
    }
    preview.append(c.preview);
    a.appendChild(preview);
    var when = el("span", "when");
    var time = el("time", "", c.when);
    time.setAttribute("datetime", c.iso);
    when.appendChild(time);
    if (c.closed) when.appendChild(el("span", "pill", "closed"));
    if (c.waiting) when.appendChild(el("span", "pill waiting", "Waiting"));
    a.appendChild(when);
    li.replaceChildren(a);
    li.className = (c.waiting ? "waiting" : "") + (c.unread ? " unread" : "");
    list.prepend(li);
    list.hidden = false;
    var empty = document.getElementById("no-conversations");
    if (empty) empty.remove();
  };
  var beep = function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.4);
  };
  var notify = function (c) {
    // Reading it already, or another tab of this browser told the agent: once is enough.
    if (c.id === openId && document.visibilityState === "visible") return;
    var key = "rb-told:" + c.id + ":" + c.seq;
    try {
      if (localStorage.getItem(key)) return;
      localStorage.setItem(key, "1");
    } catch (err) { /* storage off: each tab tells */ }
    if (document.body.getAttribute("data-notify-sound") === "1") beep();
    if (document.body.getAttribute("data-notify-browser") === "1" && window.Notification && Notification.permission === "granted") {
      // Words sent without a verified session never appear under the verified name alone.
      var title = c.last_unverified ? "Sent unverified · " + c.title : c.title;
      var n = new Notification(title, { body: c.preview, tag: "replybubble-" + c.id });
      n.onclick = function () { window.focus(); location.href = "/dashboard/conversations/" + c.id; };
    }
  };
  if (inboxUrl && window.EventSource) {
    var inbox = new EventSource(inboxUrl);
    inbox.addEventListener("conversation", function (e) {
      var c;
      try { c = JSON.parse(e.data); } catch (err) { return; }
      setCount(c.count);
      upsert(c);
      if (c.visitor) notify(c);
    });
  }
  // Browsers ask for notification permission only on a click: the checkbox asks.
  var allow = document.querySelector("input[data-permission]");
  var note = document.querySelector("[data-test=permission]");
  if (allow) {
    allow.addEventListener("change", function () {
      if (!allow.checked || !window.Notification || Notification.permission === "granted") return;
      Notification.requestPermission().then(function (p) {
        if (p !== "granted") {
          allow.checked = false;
          if (note) note.textContent = "Your browser blocks notifications from this site: allow them in its site settings, then tick again.";
        }
      });
    });
  }
})();
