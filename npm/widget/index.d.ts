// Types of @replybubble/widget. The API's own types are in replybubble.d.ts, copied from the
// server's www/replybubble.d.ts when the package is packed: one source for both.
/// <reference path="./replybubble.d.ts" />

export interface LoadOptions {
  /** Your ReplyBubble server, like "https://chat.example.com"; the widget is fetched from it. */
  origin: string;
  /** The workspace's app id (dashboard > Install). */
  appId: string;
  /** `"required"`: consent first: only the launcher until the visitor opens the chat. */
  consent?: "required" | "granted";
  /** When the widget's code loads (default `"eager"`); the others draw a launcher first. */
  load?: "eager" | "idle" | "interaction";
  /** Report the page's URL and title to agents, also on client-side navigation (default true). */
  trackPages?: boolean;
}

/** `load()` with consent first or a lazy mode: the loader starts the widget later (`ready`). */
export interface Deferred {
  status: "deferred";
}

export interface Widget extends ReplyBubble.Api {
  /**
   * Adds the loader from `origin` to the page once and starts the widget; again after
   * `shutdown()`, starts it again. Rejects `not_supported` outside a browser.
   */
  load(options: LoadOptions): Promise<ReplyBubble.Ready | ReplyBubble.ConsentRequired | Deferred>;
}

export declare const ReplyBubble: Widget;
export default ReplyBubble;
