package server

import (
	"context"
	"errors"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

// localIndexer adapts the in-process indexer to the API's interfaces.
type localIndexer struct{ ix *indexer.Indexer }

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
