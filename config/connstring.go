package config

import (
	"net/url"
	"os"
	"strings"
)

// IsEmbedded reports whether connstring selects the embedded (SQLite)
// database rather than PostgreSQL, and if so which file.
//
// The empty string is embedded with path "", meaning the service's default
// file under Config.DataDirectory. "sqlite:PATH" and "sqlite://PATH" (scheme
// in any case) are embedded with path PATH, returned verbatim: a relative
// PATH is relative to the working directory, and "sqlite:///var/lib/x.db"
// gives "/var/lib/x.db". Everything else — libpq key=value strings and
// postgres:// or postgresql:// URLs — is PostgreSQL.
func IsEmbedded(connstring string) (path string, ok bool) {
	if connstring == "" {
		return "", true
	}
	scheme, rest, found := strings.Cut(connstring, ":")
	if !found || !strings.EqualFold(scheme, "sqlite") {
		return "", false
	}
	return strings.TrimPrefix(rest, "//"), true
}

// lintConnString reports connection strings that are probably mistakes.
func lintConnString(r *report, path, s string) {
	if _, ok := IsEmbedded(s); ok {
		if s == "" && pgEnvSet() {
			r.warn(path, "connection string is empty, so the embedded database is used; "+
				"PG* environment variables are only read for PostgreSQL connection strings")
		}
		return
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		if _, err := url.Parse(s); err != nil {
			r.warn(path, "connection string looks like a URL but does not parse")
		}
	case strings.ContainsRune(s, '='):
		// libpq key=value form.
	case strings.Contains(s, "://"):
		r.warn(path, "connection string looks like a URL but its scheme is not postgres, postgresql or sqlite")
	default:
		r.warn(path, "unable to make sense of connection string")
	}
}

func pgEnvSet() bool {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			return true
		}
	}
	return false
}
