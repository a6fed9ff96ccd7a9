//! Event names the shell emits to the panel; mirrored by `src-tauri/events.rs` (keep both in step, docs/ipc.md).
import type {
  AccountView,
  FocusItem,
  Notification,
  ReadPayload,
  Settings,
  SnoozedPayload,
  StorageProblem,
  StreamChannel,
  UnreadChanged,
} from "./types";

export const NOTIFICATION_RECEIVED = "notifications://received";
/** Several notifications at once, in arrival order: what the shell sends during a burst. */
export const NOTIFICATIONS_RECEIVED_BATCH = "notifications://received-batch";
export const NOTIFICATIONS_READ = "notifications://read";
export const UNREAD_CHANGED = "notifications://unread-changed";
export const CONNECTION_STATE_CHANGED = "connection://state-changed";
export const PANEL_FOCUS_ITEM = "panel://focus-item";
export const STREAMS_UPDATED = "streams://updated";
export const SETTINGS_CHANGED = "settings://changed";
/** A notification was snoozed (from the panel, a toast or `aviso-cli snooze`): it leaves the unread list. */
export const NOTIFICATION_SNOOZED = "notifications://snoozed";
/** A snoozed notification is due: back in the unread list. */
export const NOTIFICATION_RELEASED = "notifications://released";

/** The local database's problems, the whole current list each time (empty: all is well again). */
export const STORAGE_CHANGED = "storage://changed";

/** Payload type of each event, so a listener cannot get the shape wrong. */
export interface EventPayloads {
  [NOTIFICATION_RECEIVED]: Notification;
  [NOTIFICATIONS_RECEIVED_BATCH]: Notification[];
  [NOTIFICATIONS_READ]: ReadPayload;
  [UNREAD_CHANGED]: UnreadChanged;
  [CONNECTION_STATE_CHANGED]: AccountView;
  [PANEL_FOCUS_ITEM]: FocusItem;
  [STREAMS_UPDATED]: StreamChannel;
  [SETTINGS_CHANGED]: Settings;
  [NOTIFICATION_SNOOZED]: SnoozedPayload;
  [NOTIFICATION_RELEASED]: Notification;
  [STORAGE_CHANGED]: StorageProblem[];
}

export type EventName = keyof EventPayloads;
