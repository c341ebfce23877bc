/**
 * @module http/entry-page: the HTML of request_secret's one-time page, rendered on the server
 * with no script and no external asset: the form, the result, and the refusals (unknown,
 * expired, used link, ...). Every caller-supplied text is escaped.
 */
import { createHash } from 'node:crypto'
import type { EntryView } from '../entry/secret-entry.js'

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
main{max-width:34rem;margin:0 auto;padding:1.25rem}
.card{background:#fff;border-radius:.75rem;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 .75rem}
p{margin:.5rem 0}
code{background:#eef0f4;padding:.05rem .3rem;border-radius:.25rem;word-break:break-all}
label{display:block;font-weight:600;margin-top:1rem}
.hint{display:block;font-weight:400;color:#4a5263;font-size:.95rem}
input[type=password]{width:100%;font-size:1rem;padding:.7rem;margin-top:.35rem;border:1px solid #9aa3b2;border-radius:.5rem}
button{width:100%;margin-top:1.25rem;padding:.8rem;font-size:1.05rem;font-weight:600;color:#fff;background:#1f5fd1;border:0;border-radius:.5rem}
.note{color:#4a5263;font-size:.9rem;margin-top:1rem}
.error{color:#a11;font-weight:600}
.ok{color:#17692e}
`.trim()

/** The Content-Security-Policy of every page: nothing but this one stylesheet, forms to itself. */
export const ENTRY_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

const escape = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  )

const page = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escape(title)}</title>
<style>${CSS}</style>
</head>
<body><main><div class="card">
${body}
</div></main></body>
</html>
`

/** The form field of a secret field: prefixed, so that no field name can pose as `csrf`. */
export const fieldInputName = (name: string): string => `field.${name}`

const what = (view: EntryView) =>
  `<p>Agent <code>${escape(view.agent)}</code> asks you for ${
    view.update ? 'new values of fields of the secret' : 'a new secret'
  } <code>${escape(view.path)}</code>.</p>`

/** The form; `error` is a fixed sentence of ours, never caller input. */
export function renderForm(view: EntryView, csrf: string, error?: string): string {
  const fields = view.fields
    .map(
      (f) => `<label for="${escape(fieldInputName(f.name))}">${escape(f.name)}
<span class="hint">${escape(f.description)}</span>
<input type="password" id="${escape(fieldInputName(f.name))}" name="${escape(
        fieldInputName(f.name),
      )}" required autocomplete="off" autocapitalize="off" spellcheck="false"></label>`,
    )
    .join('\n')
  return page(
    'Enter a secret',
    `<h1>Enter a secret</h1>
${what(view)}
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post">
<input type="hidden" name="csrf" value="${escape(csrf)}">
${fields}
<button type="submit">Store in Vault</button>
</form>
<p class="note">The value goes straight to Vault. The AI agent learns only that it was stored
and its version, never the value. This link works once, until ${escape(
      new Date(view.expiresAt).toUTCString(),
    )}.</p>`,
  )
}

export function renderDone(view: EntryView, version: number): string {
  return page(
    'Secret stored',
    `<h1 class="ok">Secret stored</h1>
${what(view)}
<p>It is stored as version ${version} of <code>${escape(view.path)}</code>. You can close this page;
the link no longer works.</p>`,
  )
}

/** Why a page could not take a secret, in the person's words. */
export type EntryProblem =
  'unknown' | 'expired' | 'used' | 'unavailable' | 'failed' | 'forbidden' | 'method' | 'media'

const PROBLEMS: Record<EntryProblem, { title: string; text: string }> = {
  unknown: {
    title: 'Link not valid',
    text: 'This link is not one the bridge made, or it was changed. Check that you copied all of it, or ask the agent for a new link.',
  },
  expired: {
    title: 'Link expired',
    text: 'This link has expired. Ask the agent for a new one.',
  },
  used: {
    title: 'Link already used',
    text: 'This link was already used (or declined), and works only once. If you did not submit it yourself, tell whoever runs the agent.',
  },
  unavailable: {
    title: 'Try again shortly',
    text: 'The bridge cannot check this link right now. Nothing was stored; try again in a minute.',
  },
  failed: {
    title: 'Not stored',
    text: 'The bridge could not store the secret, and the link is now used up. Ask the agent for a new link.',
  },
  forbidden: {
    title: 'Request refused',
    text: 'This form must be sent from the page the link opened. Open the link again and submit from there.',
  },
  method: { title: 'Not allowed', text: 'Open the link in a browser, and submit its form.' },
  media: { title: 'Not allowed', text: 'Submit the form of the page the link opened.' },
}

/** Extra words for a failed write, by error code. */
const FAILED_BECAUSE: Record<string, string> = {
  SECRET_NOT_FOUND: 'There is no secret at this path to update.',
  FORBIDDEN: 'Vault refused the write for this agent.',
  DATA_LIMIT_EXCEEDED: 'A value is larger than the bridge accepts.',
  VAULT_UNAVAILABLE: 'Vault could not be reached.',
}

/**
 * Why Vault refused the link's check-and-set write. The bridge may not know whether it was this
 * link's own earlier write (its record lost in a restart) or someone else's, so both are named.
 */
const casMismatch = (view: Pick<EntryView, 'update'> | undefined) =>
  view?.update
    ? 'The secret changed since this link was made, so nothing was written; ask the agent for ' +
      'a new link. (If you already submitted this link, your value was stored then.)'
    : 'A secret already exists at this path, and the agent asked to create a new one, so ' +
      'nothing was written. (If you already submitted this link, your value was stored then.)'

/** The page of a refusal; `view`, when known, words a failed write for its mode. */
export function renderProblem(
  problem: EntryProblem,
  code?: string,
  view?: Pick<EntryView, 'update'>,
): string {
  const { title, text } = PROBLEMS[problem]
  const because =
    code === 'CAS_MISMATCH'
      ? casMismatch(view)
      : code === undefined
        ? undefined
        : FAILED_BECAUSE[code]
  return page(
    title,
    `<h1>${escape(title)}</h1>
${because ? `<p>${escape(because)}</p>` : ''}
<p>${escape(text)}</p>`,
  )
}
