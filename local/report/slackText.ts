/**
 * Slack's message formatting (mrkdwn) as a person reads it in Slack, for the reports: `*bold*`,
 * `_italic_`, `~strike~`, `` `code` ``, links `<url|label>`, mentions `<@U123>`, emoji codes, and the three
 * escaped characters `&lt;`, `&gt;` and `&amp;`
 * (https://docs.slack.dev/messaging/formatting-message-text).
 */

type Piece =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'link'; readonly url: string; readonly label: string | undefined }
  | { readonly kind: 'mention'; readonly text: string }
  | { readonly kind: 'emphasis'; readonly style: 'bold' | 'italic' | 'strike'; readonly text: string };

const MARKS: Readonly<Record<string, 'bold' | 'italic' | 'strike'>> = {
  '*': 'bold',
  _: 'italic',
  '~': 'strike',
};

/** The emoji codes Lifeboat's messages use, as Slack shows them; any other code is left as written. */
const EMOJI: Readonly<Record<string, string>> = {
  lock: '\u{1F512}',
  white_check_mark: '\u{2705}',
  x: '\u{274C}',
  hourglass: '\u{231B}',
};

function unescape(text: string): string {
  return text
    .replace(/:([a-z0-9_+-]+):/g, (code, name: string) => EMOJI[name] ?? code)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Emphasis marks only count around words: after a start, space or bracket and before an end or punctuation. */
const EMPHASIS = /(^|[\s(["'])([*_~])([^\s*_~](?:[^\n]*?[^\s])?)\2(?=$|[\s.,;:!?)\]"'])/g;

function emphasis(text: string, out: Piece[]): void {
  let last = 0;
  for (const match of text.matchAll(EMPHASIS)) {
    const [whole, before = '', mark = '*', inner = ''] = match;
    const start = match.index + before.length;
    if (start > last) out.push({ kind: 'text', text: unescape(text.slice(last, start)) });
    out.push({ kind: 'emphasis', style: MARKS[mark] ?? 'bold', text: unescape(inner) });
    last = match.index + whole.length;
  }
  if (last < text.length) out.push({ kind: 'text', text: unescape(text.slice(last)) });
}

function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  // Code spans first: nothing inside them is formatting.
  const parts = text.split(/(`[^`\n]+`)/);
  for (const part of parts) {
    if (part.startsWith('`') && part.endsWith('`') && part.length > 2) {
      out.push({ kind: 'code', text: unescape(part.slice(1, -1)) });
      continue;
    }
    const tokens = part.split(/(<[^<>\n]+>)/);
    for (const token of tokens) {
      const angle = /^<([^|<>]+)(?:\|([^<>]*))?>$/.exec(token);
      if (angle === null) {
        if (token !== '') emphasis(token, out);
        continue;
      }
      const [, target = '', label] = angle;
      if (/^[@#!]/.test(target)) {
        out.push({
          kind: 'mention',
          text: label ?? (target.startsWith('!') ? `@${target.slice(1)}` : target),
        });
      } else {
        out.push({
          kind: 'link',
          url: unescape(target),
          label: label === undefined ? undefined : unescape(label),
        });
      }
    }
  }
  return out;
}

/** Plain text: marks dropped, code kept in backticks, a link as its label and its address. */
export function slackPlain(text: string): string {
  return pieces(text)
    .map((p) => {
      switch (p.kind) {
        case 'code':
          return `\`${p.text}\``;
        case 'link':
          return p.label === undefined || p.label === p.url ? p.url : `${p.label} (${p.url})`;
        case 'mention':
        case 'text':
        case 'emphasis':
          return p.text;
      }
    })
    .join('');
}

/** HTML: `escape` makes text safe for the page; marks become strong, em, del, code and links. */
export function slackHtml(text: string, escape: (text: string) => string): string {
  return pieces(text)
    .map((p) => {
      switch (p.kind) {
        case 'text':
        case 'mention':
          return escape(p.text);
        case 'code':
          return `<code>${escape(p.text)}</code>`;
        case 'link':
          return /^https?:\/\//.test(p.url)
            ? `<a href="${escape(p.url)}">${escape(p.label ?? p.url)}</a>`
            : escape(p.label ?? p.url);
        case 'emphasis': {
          const tag = p.style === 'bold' ? 'strong' : p.style === 'italic' ? 'em' : 'del';
          return `<${tag}>${escape(p.text)}</${tag}>`;
        }
      }
    })
    .join('');
}
