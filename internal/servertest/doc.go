// Package servertest runs Loupe servers for tests in other packages: a
// configuration document in, the API's and introspection's base URLs
// out, the server stopped (and its error checked) when the test ends.
// It is the server package's public entry, server.Run, as a deployment
// would use it: loaded and validated as cmd/loupe does, on loopback
// listeners.
package servertest
