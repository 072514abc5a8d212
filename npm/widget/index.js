// @replybubble/widget: the ReplyBubble widget for apps that bundle their JavaScript.
//
// `ReplyBubble.load({ origin, appId })` adds the loader (`ORIGIN/widget.js`) to the page once;
// the loader and the wasm widget still come from your own ReplyBubble server, so they always
// match it. Every method of `window.ReplyBubble` is here too, and waits for `load()`.
// Importing this module touches no browser global: it is safe during server-side rendering.

const METHODS = [
  "init",
  "identify",
  "reset",
  "open",
  "close",
  "sendMessage",
  "shutdown",
  "consent",
];

function fail(code, message, field) {
  const e = new Error("ReplyBubble: " + message);
  e.status = code === "invalid_field" ? 400 : 0;
  e.code = code;
  if (field) e.field = field;
  return e;
}

function browser() {
  return typeof window !== "undefined" && typeof document !== "undefined";
}

// What `load()` was given, checked: each wrong field is named with its fix.
function options(o) {
  if (!o || typeof o !== "object") {
    throw fail("invalid_field", "load() takes { origin, appId }", "options");
  }
  let origin;
  try {
    origin = new URL(o.origin);
  } catch {
    throw fail(
      "invalid_field",
      'origin must be your ReplyBubble server\'s URL, like "https://chat.example.com"',
      "origin",
    );
  }
  if (origin.protocol !== "https:" && origin.protocol !== "http:") {
    throw fail("invalid_field", "origin must be an http: or https: URL", "origin");
  }
  if (typeof o.appId !== "string" || o.appId === "") {
    throw fail(
      "invalid_field",
      "appId must be the workspace's app id (dashboard > Install)",
      "appId",
    );
  }
  if (o.consent !== undefined && o.consent !== "required" && o.consent !== "granted") {
    throw fail("invalid_field", 'consent must be "required" or "granted"', "consent");
  }
  const lazy = o.load === undefined ? "eager" : o.load;
  if (lazy !== "eager" && lazy !== "idle" && lazy !== "interaction") {
    throw fail("invalid_field", 'load must be "eager", "idle" or "interaction"', "load");
  }
  if (o.trackPages !== undefined && typeof o.trackPages !== "boolean") {
    throw fail("invalid_field", "trackPages must be true or false", "trackPages");
  }
  return {
    // The server's base URL, without a trailing slash (a path prefix is kept).
    base: origin.href.replace(/\/+$/, ""),
    appId: o.appId,
    consent: o.consent,
    lazy,
    trackPages: o.trackPages !== false,
  };
}

let given = null; // the options of the first load()
let script = null; // settles when the loader has run
let started = null; // the current start: set by load(), cleared by shutdown()
let stopping = null; // the last shutdown(): a start after it waits for it
const listeners = []; // [event, fn, off] — attached to window.ReplyBubble once it exists

function attach(entry) {
  if (!entry[2] && browser() && window.ReplyBubble) {
    entry[2] = window.ReplyBubble.on(entry[0], entry[1]);
  }
}

// Adds the loader to the page once (or uses the one the page already has).
function addLoader(o) {
  if (window.ReplyBubble) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.async = true;
    // The loader draws its own launcher and gates calls for consent and the lazy modes; then
    // it starts the widget itself. In eager mode load() starts it, to return the result.
    if (o.consent === "required" || o.lazy !== "eager") {
      s.dataset.appId = o.appId;
      s.dataset.load = o.lazy;
      if (o.consent === "required") s.dataset.consent = "required";
    }
    if (!o.trackPages) s.dataset.trackPages = "off";
    s.onload = () =>
      window.ReplyBubble
        ? resolve()
        : reject(fail("load_failed", o.base + "/widget.js did not define window.ReplyBubble"));
    s.onerror = () => reject(fail("load_failed", "cannot load " + o.base + "/widget.js"));
    try {
      s.src = o.base + "/widget.js";
    } catch (e) {
      // Trusted Types enforced for scripts: this URL needs the page's own policy.
      reject(
        fail(
          "csp_blocked",
          "the page's Trusted Types policy refused " +
            o.base +
            "/widget.js; add the script tag to the page instead (docs/js-api.md) (" +
            e +
            ")",
        ),
      );
      return;
    }
    document.head.appendChild(s);
  });
}

function start(o) {
  const deferred = o.consent === "required" || o.lazy !== "eager";
  const after = stopping ? stopping.then(() => script, () => script) : script;
  return after.then(() => {
    listeners.forEach(attach);
    if (deferred && !given.restarted) {
      // The loader starts the widget on idle, interaction or consent; `ready` tells when.
      return { status: o.consent === "required" ? "consent_required" : "deferred" };
    }
    return window.ReplyBubble.init({
      appId: o.appId,
      consent: o.consent,
      trackPages: o.trackPages,
    });
  });
}

function load(opts) {
  if (!browser()) {
    return Promise.reject(
      fail("not_supported", "load() runs in the browser (call it in an effect, not during SSR)"),
    );
  }
  let o;
  try {
    o = options(opts);
  } catch (e) {
    return Promise.reject(e);
  }
  if (given && (given.base !== o.base || given.appId !== o.appId)) {
    return Promise.reject(
      fail(
        "already_initialized",
        "already loaded for " + given.appId + " at " + given.base + "; one widget per page",
      ),
    );
  }
  if (!given) {
    given = o;
    script = addLoader(o);
    script.catch(() => {
      // Let a later load() try again (the server may have been down).
      given = null;
      script = null;
      started = null;
    });
  } else if (!started) {
    // After shutdown(): start again, with the same stored session.
    given.restarted = true;
  }
  if (!started) started = start(given);
  return started;
}

// The methods of window.ReplyBubble, each waiting for load().
const ReplyBubble = { load };
for (const name of METHODS) {
  ReplyBubble[name] = (...args) => {
    if (!browser()) {
      return Promise.reject(fail("not_supported", name + "() runs in the browser"));
    }
    if (!started) {
      return Promise.reject(
        fail("not_initialized", "call ReplyBubble.load({ origin, appId }) before " + name + "()"),
      );
    }
    const after = started.then(
      () => {},
      () => {},
    );
    const call = after.then(() => window.ReplyBubble[name](...args));
    if (name === "shutdown") {
      started = null;
      stopping = call;
    }
    return call;
  };
}

// Subscribes now, whether or not the widget has loaded; returns the function that unsubscribes.
ReplyBubble.on = (event, fn) => {
  if (typeof fn !== "function") {
    throw fail("invalid_field", "on() takes an event name and a function", "listener");
  }
  const entry = [event, fn, null];
  listeners.push(entry);
  attach(entry);
  return () => {
    const i = listeners.indexOf(entry);
    if (i >= 0) listeners.splice(i, 1);
    if (entry[2]) entry[2]();
    entry[2] = null;
  };
};

export { ReplyBubble };
export default ReplyBubble;
