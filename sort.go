package loupe

import (
	"cmp"
	"slices"
	"strconv"
)

// sortedKeys returns the keys of m in "natural" order: numeric IDs by
// value, then anything else as strings.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareIDs)
	return keys
}

// compareIDs orders document-local IDs: decimal numbers numerically and
// before anything else, the rest lexically.
func compareIDs(a, b string) int {
	na, erra := strconv.ParseUint(a, 10, 64)
	nb, errb := strconv.ParseUint(b, 10, 64)
	switch {
	case erra == nil && errb == nil:
		return cmp.Compare(na, nb)
	case erra == nil:
		return -1
	case errb == nil:
		return 1
	}
	return cmp.Compare(a, b)
}
