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
    }

    interface Ready {
      status: "ready";
      mode: Mode;
      conversationId: number;
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
      | "not_supported";

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
      init(options: InitOptions): Promise<Ready>;
      identify(user: User): Promise<IdentifyResult>;
      reset(): Promise<ResetResult>;
      open(): Promise<{ status: "open" }>;
      close(): Promise<{ status: "closed" }>;
      sendMessage(text: string): Promise<Sent>;
      /** Subscribes to an event; returns the function that unsubscribes. */
      on<E extends keyof Events>(event: E, listener: (data: Events[E]) => void): () => void;
    }
  }
}
