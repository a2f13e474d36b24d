// Package osrelease parses os-release(5) files and the older release files
// some distributions ship beside or instead of them.
//
// Parsing is forgiving, as the files come from untrusted images: lines that
// are not KEY=VALUE assignments are skipped, values may be unquoted, single-
// or double-quoted with the shell escapes os-release(5) allows, and a
// malformed line never fails the whole file.
package osrelease
