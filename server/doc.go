// Package server is Loupe's composition root: from a validated config and
// a mode it builds the stores, the services, the HTTP API and the
// introspection endpoints (health, readiness, Prometheus metrics, pprof),
// runs the background work (updaters, index reloads, the notifier when a
// delivery mechanism is configured), and shuts it all down when its
// context ends.
//
// It holds wiring only; every behaviour lives in the packages it wires.
package server
