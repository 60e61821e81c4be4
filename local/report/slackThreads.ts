import type { ReportSlackMessage } from './Report.ts';

/** A message as the report lists it: its thread's replies follow it, indented. */
export interface ThreadedMessage {
  readonly message: ReportSlackMessage;
  /** A reply in a thread (listed under its first message). */
  readonly reply: boolean;
}

/**
 * The channel as a person reads it: each message in the order posted, each thread's replies right
 * under its first message (in the order posted). A reply whose first message is not in the report
 * stands on its own, where it was posted.
 */
export function slackThreads(messages: readonly ReportSlackMessage[]): ThreadedMessage[] {
  const roots = new Set(
    messages.filter((m) => m.thread === undefined && m.ts !== undefined).map((m) => m.ts),
  );
  const replies = new Map<string, ReportSlackMessage[]>();
  for (const m of messages) {
    if (m.thread === undefined || !roots.has(m.thread.ts)) continue;
    const list = replies.get(m.thread.ts) ?? [];
    list.push(m);
    replies.set(m.thread.ts, list);
  }
  const out: ThreadedMessage[] = [];
  for (const m of messages) {
    if (m.thread !== undefined && roots.has(m.thread.ts)) continue;
    out.push({ message: m, reply: m.thread !== undefined });
    if (m.ts !== undefined) {
      for (const r of replies.get(m.ts) ?? []) out.push({ message: r, reply: true });
    }
  }
  return out;
}
