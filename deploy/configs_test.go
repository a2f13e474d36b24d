package deploy

import (
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/loupe-dev/loupe/config"
)

// exampleConfigs lists every Loupe configuration file in deploy/ that is
// used on its own, with the modes it is meant for. The Kubernetes ones are
// checked as mounted, with their drop-ins, by TestKubernetesOverlays.
var exampleConfigs = map[string][]config.Mode{
	"systemd/config.yaml":         {config.ComboMode},
	"kubernetes/base/config.yaml": {config.ComboMode, config.IndexerMode},
}

func TestExampleConfigs(t *testing.T) {
	for file, modes := range exampleConfigs {
		for _, mode := range modes {
			cfg, err := config.Load(file)
			if err != nil {
				t.Errorf("%s: %v", file, err)
				continue
			}
			lints, err := config.Validate(cfg, mode)
			for _, l := range lints {
				t.Logf("%s (-mode %s): configuration lint: %s", file, mode, l)
			}
			if err != nil {
				t.Errorf("%s (-mode %s): %v", file, mode, err)
			}
		}
	}
}

// TestExampleConfigsListed makes sure a configuration file added to
// deploy/ gets tested: every config.yaml must be in exampleConfigs.
func TestExampleConfigsListed(t *testing.T) {
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "config.yaml" {
			if _, ok := exampleConfigs[filepath.ToSlash(p)]; !ok {
				t.Errorf("%s is not in exampleConfigs", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
