package server

import (
	"context"
	"errors"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/matcher"
)

// localIndexer adapts the in-process indexer to the API's interfaces.
type localIndexer struct {
	ix    *indexer.Indexer
	rules []matcher.Rules
}

// AffectedManifests finds the indexed manifests vulns affect.
func (l localIndexer) AffectedManifests(ctx context.Context, vulns []loupe.Vulnerability) (*loupe.AffectedManifests, error) {
	return matcher.Affected(ctx, l.rules, vulns, l.ix.Manifests, l.ix.Report)
}

func (l localIndexer) Index(ctx context.Context, m *loupe.Manifest) (*loupe.IndexReport, error) {
	return l.ix.Index(ctx, m)
}

func (l localIndexer) Report(ctx context.Context, d loupe.Digest) (*loupe.IndexReport, error) {
	if l.ix == nil {
		return nil, errors.New("no indexer in this process")
	}
	return l.ix.Report(ctx, d)
}

func (l localIndexer) Delete(ctx context.Context, ds ...loupe.Digest) ([]loupe.Digest, error) {
	return l.ix.Delete(ctx, ds...)
}

func (l localIndexer) State() string { return l.ix.State() }
