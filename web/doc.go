// Package web serves mailkeep's local web UI and its JSON API: search the
// archive, read a message (text by default, the sanitized HTML body in a
// sandboxed frame on request), download attachments and the archived bytes,
// and see how fetching is going. It only reads: the one write it can ask
// for is "fetch now", through a Runner that the caller provides.
//
// Routes (DESIGN.md):
//
//	GET  /                          search page (?q=&page=&sort=)
//	GET  /message/{id}              message page (?view=html&remote=1)
//	GET  /message/{id}/html         the sanitized HTML body, for the page's <iframe sandbox>
//	GET  /message/{id}/raw          the archived bytes exactly (.eml download; ?view=1 as text)
//	GET  /message/{id}/part/{path}  one attachment
//	GET  /status                    accounts, mailboxes, runs, "Fetch now"
//	POST /fetch                     the status page's "Fetch now" form
//	GET  /api/search                index.Result JSON, as "mailkeep search --json"
//	GET  /api/message/{id}          index.Detail JSON, as "mailkeep show --json"
//	GET  /api/status                status JSON
//	POST /api/fetch                 start a run: 202, 409 while one runs, 503 without a Runner
//	GET  /static/…                  embedded CSS, JS and icons
//
// Safety, in layers (DESIGN.md invariant 6, STYLE.md 18 and 40-43): the
// Host header must be one of Options.AllowedHosts (DNS rebinding); every
// unsafe method passes http.CrossOriginProtection; with a password, every
// request needs HTTP Basic auth; every response carries a
// Content-Security-Policy without inline script, nosniff, no-referrer and
// frame-ancestors 'none'. Mail HTML goes through message.SanitizeHTML and is
// served on its own route under "default-src 'none'" and a CSP sandbox,
// loaded by an <iframe sandbox> without allow-scripts or allow-same-origin
// (see htmlCSP). Inline cid: images are embedded as data: URLs, so that
// frame may make no request at all: img-src is "data:" only, and gains
// "http: https:" for the one response where the user asked for remote
// images. Attachments and raw messages are served under a CSP sandbox,
// nosniff, and as downloads unless they are raster images. Internal errors are logged with a request ID, and the
// browser sees only "Internal error" and that ID.
package web
