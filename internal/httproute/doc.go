// Package httproute carries the route pattern that an HTTP request
// matched out to the middleware that labels metrics and names spans with
// it.
//
// A ServeMux sets Request.Pattern on the request it is given, in place.
// Middleware that sits outside a nested mux can only see that pattern if
// no handler in between copied the request (r.WithContext does, and so
// do tracing wrappers), and it would see the pattern of whichever mux ran
// last, not of the one that chose the handler. Instead, the outermost
// middleware calls Track, which puts a Tracker in the request's context
// (context values survive copies), and the handler that owns the route
// table calls Mark once it has routed the request. The first Mark wins,
// so a route table nested inside another decides.
package httproute
