package config

import (
	"testing"
)

func TestIsEmbedded(t *testing.T) {
	tests := []struct {
		in   string
		path string
		ok   bool
	}{
		{in: "", path: "", ok: true},
		{in: "sqlite:", path: "", ok: true},
		{in: "sqlite:/var/lib/loupe/indexer.db", path: "/var/lib/loupe/indexer.db", ok: true},
		{in: "sqlite:indexer.db", path: "indexer.db", ok: true},
		{in: "sqlite:///var/lib/loupe/indexer.db", path: "/var/lib/loupe/indexer.db", ok: true},
		{in: "sqlite://indexer.db", path: "indexer.db", ok: true},
		{in: "SQLite:/x.db?_pragma=busy_timeout(5000)", path: "/x.db?_pragma=busy_timeout(5000)", ok: true},
		{in: "host=db user=clair dbname=indexer sslmode=disable"},
		{in: "postgres://clair@db/indexer"},
		{in: "postgresql://clair:secret@db:5432/indexer?sslmode=verify-full"},
		{in: "sqlitex:/x.db"},
		{in: "dbname=sqlite:x"},
	}
	for _, tc := range tests {
		path, ok := IsEmbedded(tc.in)
		if path != tc.path || ok != tc.ok {
			t.Errorf("IsEmbedded(%q) = %q, %v; want %q, %v", tc.in, path, ok, tc.path, tc.ok)
		}
	}
}

func TestEmptyConnStringWithPGEnv(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	t.Setenv("PGHOST", "db")
	got := lintsOf(t, IndexerMode, `{indexer: {index_report_request_concurrency: 1}}`)
	want := "connection string is empty, so the embedded database is used; " +
		"PG* environment variables are only read for PostgreSQL connection strings (at $.indexer.connstring)"
	found := false
	for _, l := range got {
		found = found || l == want
	}
	if !found {
		t.Errorf("missing %q in %q", want, got)
	}
}

func TestDataDirectory(t *testing.T) {
	tests := []struct {
		name    string
		dataDir string
		xdg     string
		home    string
		want    string
		err     bool
	}{
		{name: "Set", dataDir: "/srv/loupe", xdg: "/xdg", home: "/home/u", want: "/srv/loupe"},
		{name: "XDG", xdg: "/xdg", home: "/home/u", want: "/xdg/loupe"},
		{name: "RelativeXDG", xdg: "xdg", home: "/home/u", want: "/home/u/.local/share/loupe"},
		{name: "Home", home: "/home/u", want: "/home/u/.local/share/loupe"},
		{name: "None", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", tc.xdg)
			t.Setenv("HOME", tc.home)
			got, err := (&Config{DataDir: tc.dataDir}).DataDirectory()
			if tc.err {
				if err == nil {
					t.Errorf("got %q, want error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("ValidateNeedsIt", func(t *testing.T) {
		t.Setenv("XDG_DATA_HOME", "")
		t.Setenv("HOME", "")
		c := decodeYAML(t, `{}`)
		if _, err := Validate(c, IndexerMode); err == nil {
			t.Error("no error without a data directory")
		}
		// Explicit files need no data directory.
		c = decodeYAML(t, `{indexer: {connstring: "sqlite:/tmp/x.db"}}`)
		if _, err := Validate(c, IndexerMode); err != nil {
			t.Error(err)
		}
	})
}
