package matcher

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/loupe-dev/loupe"
)

// Candidates returns the finished manifests with a record under any of
// the key hashes (see RecordKeys).
type Candidates func(ctx context.Context, keys []uint64) ([]loupe.Digest, error)

// ReportFunc returns a manifest's index report.
type ReportFunc func(ctx context.Context, manifest loupe.Digest) (*loupe.IndexReport, error)

// Affected finds the indexed manifests that vulns affect, with the same
// rules and version comparisons as matching: candidates come from the
// key hashes stored with each report, and each candidate's report is then
// matched against vulns alone. Each manifest's list is most severe first.
func Affected(ctx context.Context, rules []Rules, vulns []loupe.Vulnerability, candidates Candidates, report ReportFunc) (*loupe.AffectedManifests, error) {
	out := &loupe.AffectedManifests{
		Vulnerabilities:     make(map[string]*loupe.Vulnerability),
		VulnerableManifests: make(map[string][]string),
	}
	if len(vulns) == 0 {
		return out, nil
	}
	ptrs := make([]*loupe.Vulnerability, len(vulns))
	for i := range vulns {
		v := vulns[i] // a copy: the index shares repeated values in place
		ptrs[i] = &v
	}
	ix := NewIndex(ctx, rules, ptrs, "")
	keys := make([]uint64, 0, len(ix.entries))
	for k := range ix.entries {
		keys = append(keys, k.Hash())
	}
	if len(keys) == 0 {
		return out, nil
	}
	manifests, err := candidates(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("matcher: finding candidate manifests: %w", err)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, m := range manifests {
		g.Go(func() error {
			ir, err := report(gctx, m)
			if err != nil {
				return fmt.Errorf("matcher: report of %s: %w", m, err)
			}
			if ir.State != loupe.StateIndexFinished {
				return nil
			}
			vr := ix.Match(gctx, ir)
			if len(vr.Vulnerabilities) == 0 {
				return nil
			}
			ids := make([]string, 0, len(vr.Vulnerabilities))
			for id := range vr.Vulnerabilities {
				ids = append(ids, id)
			}
			mu.Lock()
			defer mu.Unlock()
			for id, v := range vr.Vulnerabilities {
				out.Vulnerabilities[id] = v
			}
			out.VulnerableManifests[m.String()] = ids
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for m, ids := range out.VulnerableManifests {
		slices.SortFunc(ids, func(a, b string) int {
			va, vb := out.Vulnerabilities[a], out.Vulnerabilities[b]
			return cmp.Or(cmp.Compare(vb.NormalizedSeverity, va.NormalizedSeverity), cmp.Compare(va.Name, vb.Name), compareIDs(a, b))
		})
		out.VulnerableManifests[m] = ids
	}
	return out, nil
}
