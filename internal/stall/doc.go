// Package stall bounds how long an HTTP response body may go without
// delivering a byte. Layers and feeds are downloaded without an overall
// timeout, since they can be large and links slow; without a bound on
// silence, a server that sends its headers and then stops would hold a
// download, and with it an index request or an updater run, for ever.
//
// Transport wraps a RoundTripper: each response's body is read under a
// timer that every read restarts; when it fires, the request is
// cancelled and the pending or next Read returns an error wrapping
// ErrStalled, naming the URL. A body read in time behaves as the
// wrapped one.
package stall
