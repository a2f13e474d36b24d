// Package webhook delivers notification sets by HTTP POST.
//
// Each delivery is one POST to the configured target of the JSON object
// {"notification_id": ID, "callback": URL}, where URL is the page to read
// the set from. The request carries the configured headers, then
// Content-Type: application/json, the User-Agent given in Options and,
// when Options.SignKey is set (auth.psk), an Authorization: Bearer JWT
// signed with HS256 whose iss is "clair-notifier", iat now, nbf a minute
// before and exp a minute after: what Quay and Clair's own services check.
//
// A set is delivered when the target answers with any 2xx status. Any
// other status, a network error, or no answer within the context's
// deadline (and at most Timeout) is an error naming the status and the
// first bytes of the body, and the caller delivers the set again later.
// Redirects are followed only when they repeat the POST (307, 308): after
// a 301, 302 or 303 the client would GET the new location without the
// body, so those answers fail the delivery. The Deliverer is safe for
// concurrent use; the HTTP client keeps connections alive between
// deliveries.
//
// Differences from Clair: Clair counts only 200 as delivered, and delivers
// sets answered with 201, 202 or 204 again and again; Loupe accepts every
// 2xx.
// Clair signs only when the target is one of a list of known authorities;
// the webhook's own target is always on that list, so Loupe simply signs
// whenever it has a key.
package webhook
