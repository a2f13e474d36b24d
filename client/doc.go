// Package client talks to Loupe's services over HTTP: the indexer and the
// matcher, with the internal routes the services use between them in
// distributed mode. Clair v4 serves the same API, so the clients work
// against Clair too.
//
// An Indexer or Matcher resolves the API's fixed paths against one base
// URL (its path is replaced, as Clair's clients do) and sends each request
// through one http.Client. With a PSK key in Options every request is
// signed: an HS256 JWT with iss "clair-intraservice", iat now, nbf a
// minute before and exp a minute after, sent as a bearer token to the base
// URL (net/http drops it on a redirect to another host).
//
// Errors: an answer that is not a success is an *Error carrying the
// status and the Clair error body's code and message. A 404 wraps
// ErrNotFound. An unreachable service, or one answering 502, 503 or 504,
// wraps store.ErrUnavailable, as a database that is down does, so that a
// service relaying the error answers 503 with Retry-After rather than 500.
//
// The Matcher keeps the last answer of update_operation and revalidates it
// with If-None-Match, as Clair's notifier does, so that polling an
// unchanged matcher costs a 304.
package client
