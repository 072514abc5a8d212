// @replybubble/react: <ReplyBubbleProvider origin appId> loads the widget once per page and
// useReplyBubble() gives its API and live state to any component below it.
//
// StrictMode runs every effect twice (mount, unmount, mount): load() is idempotent, and the
// unmount's shutdown() waits one task, so the second mount cancels it — one widget, one
// session. A real unmount takes the widget off the page; a later mount brings it back with
// the same conversation. Plain JavaScript, no JSX: nothing to compile.
import { createContext, createElement, useContext, useEffect, useMemo, useState } from "react";
import { ReplyBubble } from "@replybubble/widget";

const Context = createContext(null);

let mounted = 0; // providers mounted on the page (one widget serves them all)
let pendingShutdown = null;

const INITIAL = { ready: false, unread: 0, online: null, error: null };

export function ReplyBubbleProvider({ origin, appId, consent, load, trackPages, children }) {
  const [state, setState] = useState(INITIAL);
  useEffect(() => {
    let live = true;
    const set = (patch) => {
      if (live) setState((s) => ({ ...s, ...patch }));
    };
    const offs = [
      ReplyBubble.on("ready", () => set({ ready: true, error: null })),
      ReplyBubble.on("unread", (u) => set({ unread: u.count })),
      ReplyBubble.on("status", (s) => set({ online: s.online })),
      ReplyBubble.on("error", (e) => set({ error: e })),
    ];
    mounted += 1;
    if (pendingShutdown !== null) {
      clearTimeout(pendingShutdown);
      pendingShutdown = null;
    }
    ReplyBubble.load({ origin, appId, consent, load, trackPages }).then(
      (r) => {
        if (r && r.status === "ready") set({ ready: true, error: null });
      },
      (e) => {
        console.error(e);
        set({ error: { code: e.code, message: e.message } });
      },
    );
    return () => {
      live = false;
      offs.forEach((off) => off());
      mounted -= 1;
      if (mounted === 0 && pendingShutdown === null) {
        pendingShutdown = setTimeout(() => {
          pendingShutdown = null;
          if (mounted === 0) ReplyBubble.shutdown().catch(() => {});
        }, 0);
      }
    };
  }, [origin, appId, consent, load, trackPages]);
  const value = useMemo(() => ({ api: ReplyBubble, ...state }), [state]);
  return createElement(Context.Provider, { value }, children);
}

export function useReplyBubble() {
  const value = useContext(Context);
  if (value === null) {
    throw new Error("ReplyBubble: useReplyBubble() must be called inside <ReplyBubbleProvider>");
  }
  return value;
}
