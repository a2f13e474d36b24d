// Command quickstart runs Loupe's main job on one machine with no
// network: it starts Loupe in combo mode on the embedded database, loads a
// small sample vulnerability feed, indexes a small Debian image layer that
// it builds itself, and prints the vulnerability report.
//
//	go run ./examples/quickstart
//
// With -serve it keeps Loupe running afterwards, so that the API can be
// explored with curl.
package main
