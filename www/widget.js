/* ReplyBubble loader. Defines window.ReplyBubble at once, loads the wasm widget that sits next
 * to this file, and runs calls in the order they were made, before and after the load.
 * docs/js-api.md documents it; it ships minified without comments (budget: wasm-pack.toml). */
(function (w, d) {
  if (w.ReplyBubble) return;
  var s = d.currentScript;
  var src = (s && s.src) || "";
  var base = src.slice(0, src.lastIndexOf("/") + 1);
  var attr = function (n) { return s && s.getAttribute("data-" + n); };
  var appId = attr("app-id");
  var lazy = attr("load") || "eager";
  // Consent first: nothing is fetched from the chat server and nothing is stored until the
  // visitor clicks the launcher or the page calls consent(true).
  var gate = appId && attr("consent") == "required";
  // What the snippet's own init() passes: data-track-pages="off" keeps the page to itself.
  var opts = { appId: appId, trackPages: attr("track-pages") != "off" };
  var mod, loading, chain = Promise.resolve(), subs = {}, kill, drawn, started, button;

  function fail(code, msg) {
    var e = new Error("ReplyBubble: " + msg);
    e.status = 0;
    e.code = code;
    return e;
  }
  function emit(name, data) {
    (subs[name] || []).slice().forEach(function (f) {
      try { f(data); } catch (e) { console.error(e); }
    });
  }
  function report(e) { console.error(e); }
  // Rejected once an exception escapes the widget's code (a task of the wasm died): every
  // waiting and every later call rejects with it rather than wait for ever.
  var dead = new Promise(function (_, no) { kill = no; });
  dead.catch(report);
  function died(e) {
    if (kill && e && /replybubble_widget/.test(e.stack)) {
      e = fail("widget_crashed", "crashed (" + e + ")");
      kill(e);
      kill = 0;
      emit("error", { code: e.code, message: e.message });
    }
  }
  w.addEventListener("error", function (ev) { died(ev.error); });
  w.addEventListener("unhandledrejection", function (ev) { died(ev.reason); });
  function load() {
    return loading || (loading = import(base + "pkg/replybubble_widget.js").then(function (m) {
      return m.default({ module_or_path: base + "pkg/replybubble_widget_bg.wasm" }).then(function () {
        m.setDefaultApiBase(base);
        m.setEmitter(emit);
        mod = m;
      });
    }).catch(function (e) {
      throw fail("load_failed", "cannot load " + base + "pkg/ (" + e + ")");
    }));
  }
  // Every call waits for the previous one to settle, so calls made before the wasm is ready are
  // replayed in order and each Promise settles with its real result. (The loader names the
  // widget's files by their hash: both come from one release, so every method exists.)
  function call(name, args) {
    var p = chain.then(load).then(function () {
      return Promise.race([dead, mod[name].apply(null, args)]);
    });
    chain = p.then(null, function () {});
    return p;
  }
  // The launcher the loader draws until the widget is loaded (data-load idle or interaction,
  // and consent first): a button in a shadow root, styled through the CSSOM (no inline style
  // attribute, no HTML string), so strict pages allow it.
  function launcher() {
    var host = d.createElement("replybubble-launcher"), NS = "http://www.w3.org/2000/svg";
    host.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000";
    var svg = d.createElementNS(NS, "svg"), path = d.createElementNS(NS, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", 28);
    svg.setAttribute("fill", "#fff");
    path.setAttribute("d", "M12 3C6.5 3 2 6.9 2 11.7c0 2.5 1.2 4.7 3.2 6.3L4.5 21l3.6-1.8c1.2.4 2.5.6 3.9.6 5.5 0 10-3.9 10-8.7S17.5 3 12 3z");
    svg.appendChild(path);
    button = d.createElement("button");
    button.style.cssText = "width:60px;height:60px;border-radius:50%;border:0;padding:0;background:#4f46e5;box-shadow:0 8px 24px #1e1b4b59;display:grid;place-items:center;cursor:pointer";
    button.setAttribute("aria-label", "Open chat");
    button.appendChild(svg);
    host.attachShadow({ mode: "open" }).appendChild(button);
    button.onclick = function () { start(1); };
    if (!gate) button.onmouseenter = button.onfocus = function () { start(); };
    d.documentElement.appendChild(host);
    return host;
  }
  // Loads the widget and hands over to it; `opened`: the visitor clicked (their consent too).
  function start(opened) {
    if (gate) opts.consent = "required";
    started = started || call("init", [opts]).then(function (r) {
      if (drawn) drawn.remove();
      return r;
    });
    started.catch(report);
    if (!opened) return started;
    gate = 0;
    return started.then(function () { return call("consent", [true]); }).then(function () { return api.open(); }).catch(report);
  }
  // Events (docs/js-api.md): message open close identify ready unread status error; the types
  // in replybubble.d.ts name them, so the loader spends no bytes checking.
  var api = {
    on: function (event, fn) {
      (subs[event] = subs[event] || []).push(fn);
      return function () {
        subs[event] = subs[event].filter(function (g) { return g !== fn; });
      };
    }
  };
  "init identify reset open close sendMessage shutdown consent".split(" ").forEach(function (n) {
    api[n] = function (...args) {
      if (gate) {
        // Before consent only consent(true) reaches the server; consent(false) changes nothing.
        if (n == "consent") {
          if (typeof args[0] != "boolean") return Promise.reject(fail("invalid_field", "consent() takes a boolean"));
          if (!args[0]) return Promise.resolve({ status: "consent", granted: false });
          gate = 0;
          return start().then(function () { return call(n, args); });
        }
        return Promise.reject(fail("consent_required", n + "() needs consent"));
      }
      if (n == "shutdown" && drawn) drawn.remove();
      return call(n, args);
    };
  });
  w.ReplyBubble = api;
  if (appId && (gate || lazy != "eager")) {
    drawn = launcher();
    if (lazy == "idle" && !gate) (w.requestIdleCallback || setTimeout)(function () { start(); });
  } else {
    load().catch(report);
    if (appId) api.init(opts).catch(report);
  }
})(window, document);
