// A tiny React app as a site would write it, bundled by esbuild from the npm packages in the
// e2e tests (tests/e2e/npm.rs). ORIGIN and APP_ID are defined at bundle time.
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { ReplyBubbleProvider, useReplyBubble } from "@replybubble/react";
import { ReplyBubble } from "@replybubble/widget";

// The test drives the package directly too.
window.replybubble = ReplyBubble;

function Status() {
  const { api, ready, unread, error } = useReplyBubble();
  return (
    <div>
      <p id="state" data-ready={String(ready)} data-unread={unread} data-error={error ? error.code : ""}>
        {ready ? "Chat ready" : "Loading chat…"} · {unread} unread
      </p>
      <button id="ask" onClick={() => api.sendMessage("Hello from React")}>
        Ask
      </button>
    </div>
  );
}

function App() {
  const [on, setOn] = useState(true);
  return (
    <>
      <button id="toggle" onClick={() => setOn(!on)}>
        {on ? "Hide chat" : "Show chat"}
      </button>
      {on && (
        <ReplyBubbleProvider origin={ORIGIN} appId={APP_ID}>
          <Status />
        </ReplyBubbleProvider>
      )}
    </>
  );
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
