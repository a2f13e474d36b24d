package loupe

import (
	"go/build"
	"strings"
	"testing"
)

// TestStandardLibraryOnly keeps the domain types free of dependencies:
// every importer of Loupe gets them without pulling anything in.
func TestStandardLibraryOnly(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("package loupe imports %q; it must use the standard library only", imp)
		}
	}
}
