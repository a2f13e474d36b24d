// Package all is the one list of every ecosystem Loupe supports: its
// scanners, matchers and updater sets. Adding an ecosystem means adding it
// here; nothing registers itself.
package all
