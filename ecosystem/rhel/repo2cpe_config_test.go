package rhel

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOpenRepo2CPE(t *testing.T) {
	file := filepath.Join(t.TempDir(), "repository-to-cpe.json")
	if err := os.WriteFile(file, []byte(`{"data": {"acme-tools-for-rhel-9-x86_64-rpms": {"cpes": ["cpe:/o:redhat:enterprise_linux:9::baseos"]}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		cfg     RepositoryScannerConfig
		useDef  bool
		wantLen int    // repositories loaded now; -1 for no mapping at all
		wantURL string // to refresh from
		wantErr bool
	}{
		{name: "defaults", useDef: true, wantLen: 0, wantURL: DefaultRepo2CPEURL},
		{name: "defaults, no Red Hat updater", wantLen: -1},
		{name: "url", cfg: RepositoryScannerConfig{Repo2CPEMappingURL: "https://mirror.example/r2c.json"}, wantURL: "https://mirror.example/r2c.json"},
		{name: "file only", cfg: RepositoryScannerConfig{Repo2CPEMappingFile: file}, useDef: true, wantLen: 1},
		{name: "file, no Red Hat updater", cfg: RepositoryScannerConfig{Repo2CPEMappingFile: file}, wantLen: 1},
		{name: "file and url", cfg: RepositoryScannerConfig{Repo2CPEMappingFile: file, Repo2CPEMappingURL: "file://" + file}, useDef: true, wantLen: 1, wantURL: "file://" + file},
		{name: "missing file", cfg: RepositoryScannerConfig{Repo2CPEMappingFile: file + ".absent"}, useDef: true, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, url, err := OpenRepo2CPE(tc.cfg, tc.useDef)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if url != tc.wantURL {
				t.Errorf("refresh url %q, want %q", url, tc.wantURL)
			}
			switch {
			case tc.wantLen < 0 && m != nil:
				t.Errorf("a mapping of %d repositories, want none", m.Len())
			case tc.wantLen >= 0 && m == nil:
				t.Errorf("no mapping, want %d repositories", tc.wantLen)
			case tc.wantLen >= 0 && m.Len() != tc.wantLen:
				t.Errorf("%d repositories, want %d", m.Len(), tc.wantLen)
			}
		})
	}
}
