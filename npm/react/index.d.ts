// Types of @replybubble/react.
import type { ReactElement, ReactNode } from "react";
import type { LoadOptions, Widget } from "@replybubble/widget";

export interface ReplyBubbleProviderProps extends LoadOptions {
  children?: ReactNode;
}

export interface ReplyBubbleState {
  /** The widget's API (the same object as `ReplyBubble` from @replybubble/widget). */
  api: Widget;
  /** The session started (after consent, in consent-first mode). */
  ready: boolean;
  /** Agent replies the visitor has not seen. */
  unread: number;
  /** Whether agents are online; null until the widget knows. */
  online: boolean | null;
  /** The last failure no call was waiting for (load failed, the widget crashed …). */
  error: { code: ReplyBubble.ErrorCode; message: string } | null;
}

/** Loads the widget once for the page; put it near the root of your app. */
export declare function ReplyBubbleProvider(props: ReplyBubbleProviderProps): ReactElement;

/** The widget's API and live state; call it inside `<ReplyBubbleProvider>`. */
export declare function useReplyBubble(): ReplyBubbleState;
