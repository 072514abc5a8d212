// Compiled with `tsc --strict --noEmit` against www/replybubble.d.ts by the e2e tests. Lines
// marked @ts-expect-error must fail to type-check, or the compilation fails.
/// <reference path="../../www/replybubble.d.ts" />

async function usage(): Promise<void> {
  const ready: ReplyBubble.Ready = await ReplyBubble.init({ appId: "app_0123456789abcdef" });
  const mode: ReplyBubble.Mode = ready.mode;
  const conversation: number = ready.conversationId;
  const r = await window.ReplyBubble.identify({
    id: "user_42",
    signature: "2f7af0180adc020fbe0c63d6c087ecca867a4345077b380ce00a80e097d56417",
    email: "ada@example.com",
    traits: { plan: "pro", seats: 3, vip: true },
  });
  if (r.status === "verified") {
    const company: string | null = r.contact.company;
    const id: number = r.conversationId;
  } else if (r.status === "unverified") {
    const reason: ReplyBubble.Reason = r.reason;
    const email: string | null = r.prefill.email;
  }
  const sent: ReplyBubble.Sent = await ReplyBubble.sendMessage("hello");
  const messageId: number = sent.messageId;
  const reset: ReplyBubble.ResetResult = await ReplyBubble.reset();
  await ReplyBubble.open();
  await ReplyBubble.close();
  const off: () => void = ReplyBubble.on("message", (m) => {
    const author: "visitor" | "agent" = m.author;
    const at: string = m.createdAt;
  });
  off();
  ReplyBubble.on("unread", (u) => {
    const count: number = u.count;
  });
  ReplyBubble.on("ready", (r) => {
    const conv: number = r.conversationId;
  });
  ReplyBubble.on("error", (e) => {
    const code: ReplyBubble.ErrorCode = e.code;
  });
  await ReplyBubble.init({
    appId: "app_0123456789abcdef",
    trackPages: false,
    strings: { title: "Need a hand?", placeholder: "Ask Sam…" },
  });
  // @ts-expect-error not a string of the widget
  await ReplyBubble.init({ appId: "app_0123456789abcdef", strings: { titel: "Hilfe" } });
  const asked = await ReplyBubble.init({ appId: "app_0123456789abcdef", consent: "required" });
  if (asked.status === "consent_required") {
    const given: ReplyBubble.ConsentResult = await ReplyBubble.consent(true);
    const granted: boolean = given.granted;
  }
  const down: { status: "shutdown" } = await ReplyBubble.shutdown();
  try {
    await ReplyBubble.identify({ id: "u" });
  } catch (e) {
    const err = e as ReplyBubble.ReplyBubbleError;
    const status: number = err.status;
    const code: ReplyBubble.ErrorCode = err.code;
    const field: string | undefined = err.field;
    const hint: ReplyBubble.Hint | undefined = err.hint;
  }

  // @ts-expect-error: ids are strings, never numbers.
  await ReplyBubble.identify({ id: 42 });
  // @ts-expect-error: id is required.
  await ReplyBubble.identify({ email: "a@b.c" });
  // @ts-expect-error: trait values are strings, numbers or booleans.
  await ReplyBubble.identify({ id: "u", traits: { nested: { a: 1 } } });
  // @ts-expect-error: appId is required.
  await ReplyBubble.init({});
  // @ts-expect-error: messages are text.
  await ReplyBubble.sendMessage(5);
  // @ts-expect-error: unknown event.
  ReplyBubble.on("typing", () => {});
  // @ts-expect-error: open resolves { status: "open" }.
  const wrong: { status: "closed" } = await ReplyBubble.open();
}
