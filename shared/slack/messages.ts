/**
 * The Block Kit messages Lifeboat posts: an approval request with Approve / Reject buttons whose
 * value is the approval's short id (never its task token), and the same message once decided.
 */

export const APPROVE_ACTION = 'lifeboat_approve';
export const REJECT_ACTION = 'lifeboat_reject';

export interface ApprovalMessage {
  readonly approvalId: string;
  /** One line: what is asked, e.g. "Fail ai-gateway back to us-east-1?" */
  readonly title: string;
  /** Why it is asked. */
  readonly why: string;
  /** Measured facts: replica lag, health, estimated duration... */
  readonly facts: readonly (readonly [string, string])[];
  /** What will happen on Approve, in order. */
  readonly plan: readonly string[];
  readonly expiresAt: string;
}

/** Plain text for notifications and for clients that do not render blocks. */
export function approvalText(message: ApprovalMessage): string {
  return `${message.title} ${message.why} (approval ${message.approvalId}, open until ${message.expiresAt})`;
}

export function approvalBlocks(message: ApprovalMessage): unknown[] {
  return [
    { type: 'header', text: { type: 'plain_text', text: message.title.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: `*Why:* ${message.why}` } },
    ...(message.facts.length === 0
      ? []
      : [
          {
            type: 'section',
            fields: message.facts
              .slice(0, 10)
              .map(([label, value]) => ({ type: 'mrkdwn', text: `*${label}*\n${value}` })),
          },
        ]),
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*On Approve:*\n${message.plan.map((step, i) => `${i + 1}. ${step}`).join('\n')}`.slice(
          0,
          3000,
        ),
      },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Approval \`${message.approvalId}\` · open until ${message.expiresAt} · only listed approvers count`,
        },
      ],
    },
    {
      type: 'actions',
      block_id: `lifeboat_${message.approvalId}`,
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: message.approvalId,
          confirm: {
            title: { type: 'plain_text', text: 'Approve?' },
            text: { type: 'mrkdwn', text: message.title.slice(0, 300) },
            confirm: { type: 'plain_text', text: 'Approve' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        {
          type: 'button',
          action_id: REJECT_ACTION,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          value: message.approvalId,
        },
      ],
    },
  ];
}

/** The message once it is no longer waiting: the original summary and how it ended, no buttons. */
export function outcomeBlocks(summary: string, outcome: string): unknown[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text: summary.slice(0, 3000) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: outcome.slice(0, 3000) }] },
  ];
}

/** The approval id a message's buttons carry, if it has any (what a simulated person presses). */
export function buttonsOf(blocks: readonly unknown[]): { approvalId: string } | undefined {
  for (const block of blocks) {
    const b = block as { type?: unknown; elements?: unknown };
    if (b.type !== 'actions' || !Array.isArray(b.elements)) continue;
    for (const element of b.elements as { action_id?: unknown; value?: unknown }[]) {
      if (element.action_id === APPROVE_ACTION && typeof element.value === 'string')
        return { approvalId: element.value };
    }
  }
  return undefined;
}
