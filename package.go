package loupe

// Package kinds.
const (
	BinaryPackage = "binary"
	SourcePackage = "source"
)

// Package is a piece of installed software, or the vulnerable-package
// description inside a Vulnerability.
type Package struct {
	// ID is local to the report that holds the Package.
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Kind is BinaryPackage or SourcePackage; empty is omitted.
	Kind string `json:"kind,omitempty"`
	// Source is the source package a binary package was built from.
	Source *Package `json:"source,omitempty"`

	// PackageDB is the path of the database the package was read from,
	// for example "var/lib/dpkg/status". It travels in Environment.
	PackageDB string `json:"-"`
	// Filepath is the file that holds the package, for ecosystems where a
	// package is a file (a jar, a binary); whiteouts of it remove the
	// package.
	Filepath string `json:"-"`
	// RepositoryHint is scanner-specific data used to find the package's
	// repository.
	RepositoryHint string `json:"-"`

	NormalizedVersion Version `json:"normalized_version"`
	Module            string  `json:"module,omitempty"`
	Arch              string  `json:"arch,omitempty"`
	// CPE is a CPE 2.3 formatted string, or "".
	CPE string `json:"cpe"`
}
