/**
 * `GET /`: where a person who opens the orchestrator's address lands. Browsers get a small page
 * linking the console, the volunteer page and the API docs; scripts asking for JSON get the same
 * links, so `curl /` is not a dead end either.
 */

/** The places `/` points to, as shown to browsers and to scripts. */
export const LANDING_LINKS = {
  console: '/console/',
  volunteer: '/volunteer/',
  docs: '/docs',
  openapi: '/openapi.json',
  health: '/health',
} as const

/** One static page: no script, no external asset, cheap to answer on every host. */
export const LANDING_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Zerverless</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f8fafc; color: #0f172a; }
  main { max-width: 40rem; margin: 0 auto; padding: 2.5rem 1.25rem; }
  h1 { margin: 0 0 .25rem; color: #312e81; }
  p { margin: 0 0 1.5rem; color: #334155; }
  ul { list-style: none; padding: 0; display: grid; gap: .75rem; }
  a { display: block; padding: 1rem 1.25rem; border-radius: .5rem; background: #fff;
      border: 1px solid #cbd5e1; color: #312e81; text-decoration: none; }
  a:hover, a:focus-visible { border-color: #4338ca; outline: 2px solid #4338ca; }
  strong { display: block; font-size: 1.1rem; }
  span { color: #475569; font-size: .95rem; }
</style>
</head>
<body>
<main>
<h1>Zerverless</h1>
<p>Volunteer-powered compute: jobs and serverless functions run in sandboxes on donated machines.</p>
<nav aria-label="Start here">
<ul>
<li><a href="${LANDING_LINKS.console}"><strong>Console</strong><span>Jobs, batches, functions, volunteers, KV, storage, workflows, cron and secrets.</span></a></li>
<li><a href="${LANDING_LINKS.volunteer}"><strong>Volunteer</strong><span>Donate this tab's spare CPU: it runs other people's jobs in sandboxes.</span></a></li>
<li><a href="${LANDING_LINKS.docs}"><strong>API docs</strong><span>Every route, interactive; the OpenAPI document is at ${LANDING_LINKS.openapi}.</span></a></li>
</ul>
</nav>
</main>
</body>
</html>
`
