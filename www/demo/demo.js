// Demo glue only: what a site's own frontend would do. All output is set as text.
// A file rather than an inline script, so the demo page runs under a CSP without 'unsafe-inline'.
var appId = document.querySelector("script[data-app-id]").getAttribute("data-app-id");
var conversationId = null;
function show(name, ok, value) {
  var li = document.createElement("li");
  if (!ok) li.className = "err";
  var head = document.createElement("span");
  head.className = "call";
  head.textContent = name + (ok ? " → resolved" : " → rejected");
  var code = document.createElement("code");
  code.textContent = ok ? JSON.stringify(value, null, 1)
    : JSON.stringify({ status: value.status, code: value.code, field: value.field, hint: value.hint, message: value.message }, null, 1);
  li.appendChild(head); li.appendChild(code);
  var log = document.getElementById("log");
  log.insertBefore(li, log.firstChild);
}
function call(name, p) {
  return p.then(function (v) {
    if (v && v.conversationId) conversationId = v.conversationId;
    show(name, true, v); return v;
  }, function (e) { show(name, false, e); });
}
function post(path, body) {
  return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
    .then(function (r) { return r.json(); });
}
function login(user, mistake) {
  post("/demo/api/login", { user: user, mistake: mistake || "" }).then(function (u) {
    document.getElementById("user").textContent = "Signed in as " + u.name;
    call("identify(" + u.id + ")", ReplyBubble.identify(u));
  });
}
document.getElementById("alice").onclick = function () { login("alice"); };
document.getElementById("bob").onclick = function () { login("bob"); };
document.getElementById("wrong").onclick = function () { login("alice", "signed_email"); };
document.getElementById("anon").onclick = function () {
  call("identify(no signature)", ReplyBubble.identify({ id: "guest_7", name: "Guest Shopper", email: "guest@example.com" }));
};
document.getElementById("logout").onclick = function () {
  document.getElementById("user").textContent = "Not signed in";
  call("reset()", ReplyBubble.reset());
};
document.getElementById("apply").onclick = function () {
  post("/demo/api/settings", { plan: document.getElementById("plan").value, mode: document.getElementById("mode").value })
    .then(function (s) { show("settings", true, s); });
};
document.getElementById("open").onclick = function () { call("open()", ReplyBubble.open()); };
document.getElementById("send").onclick = function () { call("sendMessage()", ReplyBubble.sendMessage("Where is my order?")); };
document.getElementById("reply").onclick = function () {
  if (!conversationId) { show("agent reply", false, { message: "open the chat first" }); return; }
  post("/demo/api/agent-reply", { conversation_id: conversationId, body: "Hi! I'm Sam from Acme Coffee — your order shipped this morning." })
    .then(function (r) { show("agent reply", !r.error, r); });
};
// The snippet is async: window.ReplyBubble exists once it ran, which is before "load".
window.addEventListener("load", function () {
  ReplyBubble.on("message", function (m) { show("on('message')", true, m); });
  call("init()", ReplyBubble.init({ appId: appId }));
});
