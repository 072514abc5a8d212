/**
 * Type declarations for `window.ReplyBubble`, the ReplyBubble chat widget's JS API.
 * Serve them from `https://YOUR-REPLYBUBBLE-HOST/replybubble.d.ts` or copy them into your project.
 * Every method returns a Promise; failures reject with a {@link ReplyBubble.ReplyBubbleError}.
 */
export {};

declare global {
  interface Window {
    ReplyBubble: ReplyBubble.Api;
  }
  var ReplyBubble: ReplyBubble.Api;

  namespace ReplyBubble {
    /** The workspace's verification mode. */
    type Mode = "off" | "optional" | "required";

    interface InitOptions {
      /** The workspace's app id, from the dashboard or `replybubble workspace create`. */
      appId: string;
      /** Where the ReplyBubble server is; defaults to where widget.js was loaded from. */
      apiBase?: string;
      /**
       * `"required"`: consent first. Only the launcher is drawn; nothing is stored and no API
       * request is made until the visitor opens the chat or the page calls `consent(true)`.
       */
      consent?: "required" | "granted";
      /** `false`: do not report the page the visitor is on (as `data-track-pages="off"`). */
      trackPages?: boolean;
      /** Texts to show instead of the workspace's, by key; each at most 300 characters. */
      strings?: Partial<Record<StringKey, string>>;
    }

    /** Every text the widget shows (docs/js-api.md "Appearance and languages"). */
    type StringKey =
      | "title"
      | "subtitle"
      | "launcher_label"
      | "close_label"
      | "empty"
      | "form_title"
      | "name_label"
      | "email_label"
      | "skip"
      | "save"
      | "form_error"
      | "placeholder"
      | "send_label"
      | "messages_label"
      | "unread"
      | "you"
      | "agent"
      | "verified"
      | "signed_in"
      | "required_notice"
      | "away"
      | "back_at";

    interface Ready {
      status: "ready";
      mode: Mode;
      conversationId: number;
    }

    /** `init()` in consent-first mode before the visitor's consent. */
    interface ConsentRequired {
      status: "consent_required";
    }

    interface ConsentResult {
      status: "consent";
      granted: boolean;
    }

    type TraitValue = string | number | boolean;

    /** The argument of `identify()`. Only `id` is signed. */
    interface User {
      /** Your user id, 1..512 characters, sent exactly as signed. */
      id: string;
      /** Lowercase or uppercase hex HMAC-SHA256 of `id` with your secret, made on your server. */
      signature?: string;
      /** At most 254 characters. */
      email?: string;
      /** At most 200 characters. */
      name?: string;
      /** At most 200 characters. */
      company?: string;
      /** At most 50 characters. */
      phone?: string;
      /** At most 20 keys of 1..100 characters; strings up to 1000 characters. */
      traits?: Record<string, TraitValue>;
    }

    interface Contact {
      id: string;
      email: string | null;
      name: string | null;
      company: string | null;
      phone: string | null;
    }

    interface Prefill {
      email: string | null;
      name: string | null;
      company: string | null;
      phone: string | null;
    }

    type Reason = "signature_missing" | "signature_invalid";
    type Hint = "signed_email" | "id_whitespace" | "malformed_signature";

    interface Disabled {
      status: "disabled";
    }

    interface Verified {
      status: "verified";
      verified: true;
      contact: Contact;
      conversationId: number;
    }

    interface Unverified {
      status: "unverified";
      verified: false;
      reason: Reason;
      hint?: Hint;
      prefill: Prefill;
    }

    type IdentifyResult = Disabled | Verified | Unverified;

    interface ResetResult {
      status: "reset";
      conversationId: number;
    }

    interface Sent {
      status: "sent";
      messageId: number;
    }

    interface Message {
      id: number;
      /** Its position in the conversation: 1, 2, 3 … */
      seq: number;
      author: "visitor" | "agent";
      body: string;
      createdAt: string;
    }

    interface Events {
      message: Message;
      open: { status: "open" };
      close: { status: "closed" };
      identify: IdentifyResult;
      /** The session started (after `init`, or after consent in consent-first mode). */
      ready: Ready;
      /** Agent replies not yet seen (the launcher's badge); 0 when the panel opens. */
      unread: { count: number };
      /** Whether agents are online. */
      status: { online: boolean };
      /** A failure no call was waiting for (the widget could not draw, load, or crashed). */
      error: { code: ErrorCode; message: string };
    }

    type ErrorCode =
      | "invalid_field"
      | "not_initialized"
      | "already_initialized"
      | "plan_upgrade_required"
      | "signature_missing"
      | "signature_invalid"
      | "signature_expired"
      | "verification_required"
      | "unauthorized"
      | "unknown_app"
      | "origin_not_allowed"
      | "payload_too_large"
      | "rate_limited"
      | "network_error"
      | "load_failed"
      | "not_supported"
      | "consent_required"
      | "csp_blocked"
      | "widget_crashed";

    /** What every method rejects with. */
    interface ReplyBubbleError extends Error {
      /** HTTP-like status: 400 for local validation, otherwise the server's status (0: no answer). */
      status: number;
      /** Stable code. */
      code: ErrorCode;
      /** The field, for `invalid_field`. */
      field?: string;
      /** The likely mistake, for `signature_invalid`. */
      hint?: Hint;
    }

    interface Api {
      init(options: InitOptions & { consent: "required" }): Promise<Ready | ConsentRequired>;
      init(options: InitOptions): Promise<Ready>;
      identify(user: User): Promise<IdentifyResult>;
      reset(): Promise<ResetResult>;
      open(): Promise<{ status: "open" }>;
      close(): Promise<{ status: "closed" }>;
      sendMessage(text: string): Promise<Sent>;
      /** Takes the widget off the page and closes its stream; the stored session stays. */
      shutdown(): Promise<{ status: "shutdown" }>;
      /** The visitor's answer in consent-first mode; `false` forgets what this browser stored. */
      consent(granted: boolean): Promise<ConsentResult>;
      /** Subscribes to an event; returns the function that unsubscribes. */
      on<E extends keyof Events>(event: E, listener: (data: Events[E]) => void): () => void;
    }
  }
}
