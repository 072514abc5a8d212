// Type-checked with `tsc --strict` against the packed packages' types (tests/e2e/npm.rs).
// Lines marked @ts-expect-error must fail to type-check, or the compilation fails.
import { ReplyBubble, type LoadOptions } from "@replybubble/widget";
import { ReplyBubbleProvider, useReplyBubble } from "@replybubble/react";

async function widget(): Promise<void> {
  const options: LoadOptions = { origin: "https://chat.example.com", appId: "app_x", load: "idle" };
  const started = await ReplyBubble.load(options);
  if (started.status === "ready") {
    const conversation: number = started.conversationId;
  }
  const r = await ReplyBubble.identify({ id: "u", signature: "00" });
  const sent: ReplyBubble.Sent = await ReplyBubble.sendMessage("hi");
  const off: () => void = ReplyBubble.on("unread", (u) => {
    const n: number = u.count;
  });
  await ReplyBubble.shutdown();
  // @ts-expect-error origin is required
  await ReplyBubble.load({ appId: "app_x" });
  // @ts-expect-error load is eager, idle or interaction
  await ReplyBubble.load({ origin: "https://c", appId: "a", load: "lazy" });
  // @ts-expect-error no such event
  ReplyBubble.on("nope", () => {});
}

function Help() {
  const { api, ready, unread, online, error } = useReplyBubble();
  const code: ReplyBubble.ErrorCode | undefined = error?.code;
  const maybe: boolean | null = online;
  return <button disabled={!ready} onClick={() => api.open()}>Help ({unread})</button>;
}

export const app = (
  <ReplyBubbleProvider origin="https://chat.example.com" appId="app_x" consent="required">
    <Help />
  </ReplyBubbleProvider>
);
// @ts-expect-error appId is required
export const broken = <ReplyBubbleProvider origin="https://chat.example.com" />;
