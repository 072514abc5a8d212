// Imports both packages under Node, where there is no window (server-side rendering), and
// prints what a server would see, as JSON (tests/e2e/npm.rs).
import { createElement } from "react";
import { renderToString } from "react-dom/server";

const out = { windowAtImport: typeof window };
const widget = await import("@replybubble/widget");
const react = await import("@replybubble/react");
out.exports = [Object.keys(widget).sort(), Object.keys(react).sort()];
out.methods = Object.keys(widget.ReplyBubble).sort();
const code = (p) => p.then(() => "resolved", (e) => e.code);
out.load = await code(widget.ReplyBubble.load({ origin: "https://chat.example.com", appId: "app_x" }));
out.identify = await code(widget.ReplyBubble.identify({ id: "u" }));
out.html = renderToString(
  createElement(
    react.ReplyBubbleProvider,
    { origin: "https://chat.example.com", appId: "app_x" },
    createElement("p", null, "server-rendered child"),
  ),
);
try {
  renderToString(createElement(() => react.useReplyBubble().api && null));
  out.outside = "no error";
} catch (e) {
  out.outside = e.message;
}
console.log(JSON.stringify(out));
