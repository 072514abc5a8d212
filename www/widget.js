/*! ReplyBubble loader. Defines window.ReplyBubble at once, loads the wasm widget that sits next
 * to this file, and runs calls in the order they were made, before and after the load. */
(function (w, d) {
  if (w.ReplyBubble) return;
  var s = d.currentScript;
  var src = (s && s.src) || "";
  var base = src.slice(0, src.lastIndexOf("/") + 1);
  var mod, loading, chain = Promise.resolve(), subs = {};
  var EVENTS = ["message", "open", "close", "identify"];

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
  function load() {
    return loading || (loading = import(base + "pkg/replybubble_widget.js").then(function (m) {
      return m.default({ module_or_path: base + "pkg/replybubble_widget_bg.wasm" }).then(function () {
        m.setDefaultApiBase(base);
        if (m.setEmitter) m.setEmitter(emit);
        mod = m;
      });
    }).catch(function (e) {
      throw fail("load_failed", "could not load the widget from " + base + " (" + e + ")");
    }));
  }
  // Every call waits for the previous one to settle, so calls made before the wasm is ready are
  // replayed in order and each Promise settles with its real result.
  function call(name, args) {
    var p = chain.then(load).then(function () {
      if (!mod[name]) throw fail("not_supported", name + "() is not available in this version");
      return mod[name].apply(null, args);
    });
    chain = p.then(null, function () {});
    return p;
  }
  var api = {
    on: function (event, fn) {
      if (EVENTS.indexOf(event) < 0 || typeof fn !== "function") {
        console.warn("ReplyBubble.on(event, fn): event is one of " + EVENTS.join(", ") + " and fn a function");
        return function () {};
      }
      (subs[event] = subs[event] || []).push(fn);
      return function () {
        subs[event] = (subs[event] || []).filter(function (g) { return g !== fn; });
      };
    }
  };
  ["init", "identify", "reset", "open", "close", "sendMessage"].forEach(function (n) {
    api[n] = function () { return call(n, Array.prototype.slice.call(arguments)); };
  });
  w.ReplyBubble = api;
  load().catch(function (e) { console.error(e); });
  var appId = s && s.getAttribute("data-app-id");
  if (appId) api.init({ appId: appId }).catch(function (e) { console.error(e); });
})(window, document);
