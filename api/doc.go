// Package api serves Loupe's services over HTTP with the routes, status
// codes, headers and JSON bodies of Clair v4's API, so that Clair clients
// work unchanged.
//
// One table (errors.go) maps failures to a status and Clair's error body;
// content negotiation, response compression and pre-shared-key JWT
// authentication are middleware shared by every route. Handlers depend on
// small interfaces of the services they serve, which a local service or an
// HTTP client to a remote one satisfies alike.
package api
