package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/indexer"
)

// The suites run here against in-memory reference stores that follow
// the contract in doc.go as plainly as possible: a failure elsewhere is
// then the store's, not the suite's.

func TestIndexerStoreReference(t *testing.T) {
	IndexerStore(t, func(*testing.T) IndexerStoreUnderTest { return newMemIndexer() })
}

func TestMatcherStoreReference(t *testing.T) {
	MatcherStore(t, func(*testing.T) MatcherStoreUnderTest { return newMemMatcher() })
}

type memReport struct {
	report   []byte
	state    string
	layers   []loupe.Digest
	finished bool
	keys     map[uint64]bool
}

type memIndexer struct {
	memLeases
	mu       sync.Mutex
	findings map[loupe.Digest]map[indexer.ScannerID][]byte
	reports  map[loupe.Digest]memReport
}

func newMemIndexer() *memIndexer {
	return &memIndexer{findings: map[loupe.Digest]map[indexer.ScannerID][]byte{}, reports: map[loupe.Digest]memReport{}}
}

func (s *memIndexer) Findings(_ context.Context, layers []loupe.Digest, scanners []indexer.ScannerID) (map[loupe.Digest]map[indexer.ScannerID][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[loupe.Digest]map[indexer.ScannerID][]byte{}
	for _, l := range layers {
		for _, id := range scanners {
			if b, ok := s.findings[l][id]; ok {
				if out[l] == nil {
					out[l] = map[indexer.ScannerID][]byte{}
				}
				out[l][id] = slices.Clone(b)
			}
		}
	}
	return out, nil
}

func (s *memIndexer) PutFindings(_ context.Context, layer loupe.Digest, findings map[indexer.ScannerID][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.findings[layer] == nil {
		s.findings[layer] = map[indexer.ScannerID][]byte{}
	}
	for id, b := range findings {
		s.findings[layer][id] = slices.Clone(b)
	}
	return nil
}

func (s *memIndexer) Report(_ context.Context, manifest loupe.Digest) ([]byte, string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.reports[manifest]
	return slices.Clone(r.report), r.state, ok, nil
}

func (s *memIndexer) PutReport(_ context.Context, m *loupe.Manifest, state string, finished bool, report []byte, keys []uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := memReport{report: slices.Clone(report), state: state, finished: finished, keys: map[uint64]bool{}}
	for _, k := range keys {
		r.keys[k] = true
	}
	for _, l := range m.Layers {
		r.layers = append(r.layers, l.Hash)
	}
	s.reports[m.Hash] = r
	return nil
}

func (s *memIndexer) Manifests(_ context.Context, keys []uint64) ([]loupe.Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []loupe.Digest
	for d, r := range s.reports {
		if r.finished && slices.ContainsFunc(keys, func(k uint64) bool { return r.keys[k] }) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *memIndexer) DeleteManifests(_ context.Context, manifests []loupe.Digest) ([]loupe.Digest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var deleted []loupe.Digest
	var layers []loupe.Digest
	for _, m := range manifests {
		if r, ok := s.reports[m]; ok {
			deleted = append(deleted, m)
			layers = append(layers, r.layers...)
			delete(s.reports, m)
		}
	}
	for _, l := range layers {
		used := false
		for _, r := range s.reports {
			used = used || slices.Contains(r.layers, l)
		}
		if !used {
			delete(s.findings, l)
		}
	}
	return deleted, nil
}

// memMatcher keeps every operation's full snapshot.
type memMatcher struct {
	memLeases
	mu      sync.Mutex
	version int
	ops     []*memOp // oldest first
	fps     map[string]string
	ids     map[string]string // content → ID
}

type memOp struct {
	op   loupe.UpdateOperation
	snap map[string]*loupe.Vulnerability // content → vulnerability
}

func newMemMatcher() *memMatcher {
	return &memMatcher{fps: map[string]string{}, ids: map[string]string{}}
}

func (s *memMatcher) newest(updater string) *memOp {
	for _, o := range slices.Backward(s.ops) {
		if o.op.Updater == updater {
			return o
		}
	}
	return nil
}

func (s *memMatcher) find(ref string) *memOp {
	for _, o := range s.ops {
		if o.op.Ref == ref {
			return o
		}
	}
	return nil
}

func (s *memMatcher) withIDs(snap map[string]*loupe.Vulnerability) []loupe.Vulnerability {
	var out []loupe.Vulnerability
	for k, v := range snap {
		c := *v
		c.ID = s.ids[k]
		out = append(out, c)
	}
	return out
}

func (s *memMatcher) Fingerprint(_ context.Context, updater string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fps[updater], nil
}

func (s *memMatcher) UpdateVulnerabilities(_ context.Context, updater, fingerprint string, vulns []*loupe.Vulnerability) (*loupe.UpdateOperation, error) {
	snap := map[string]*loupe.Vulnerability{}
	for _, v := range vulns {
		if v.Updater != updater {
			return nil, fmt.Errorf("vulnerability %s is from %q, not %q", v.Name, v.Updater, updater)
		}
		k := contentKey(v)
		var c loupe.Vulnerability
		if err := json.Unmarshal([]byte(k), &c); err != nil {
			return nil, err
		}
		snap[k] = &c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fps[updater] = fingerprint
	var prev map[string]*loupe.Vulnerability
	if o := s.newest(updater); o != nil {
		prev = o.snap
	}
	if len(prev) == len(snap) {
		same := true
		for k := range snap {
			_, ok := prev[k]
			same = same && ok
		}
		if same {
			return nil, nil
		}
	}
	for k := range snap {
		if s.ids[k] == "" {
			s.ids[k] = strconv.Itoa(len(s.ids) + 1)
		}
	}
	op := loupe.UpdateOperation{Ref: uuid.NewString(), Updater: updater, Fingerprint: fingerprint, Date: time.Now(), Kind: loupe.VulnerabilityUpdate}
	s.ops = append(s.ops, &memOp{op: op, snap: snap})
	s.version++
	return &op, nil
}

func (s *memMatcher) RecordAttempt(context.Context, string, error) error { return nil }

func (s *memMatcher) GC(_ context.Context, retention int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]int{}
	n := 0
	kept := s.ops[:0:0]
	for _, o := range slices.Backward(s.ops) {
		seen[o.op.Updater]++
		if seen[o.op.Updater] > retention {
			n++
			continue
		}
		kept = append(kept, o)
	}
	slices.Reverse(kept)
	s.ops = kept
	return n, nil
}

func (s *memMatcher) Vulnerabilities(context.Context) ([]*loupe.Vulnerability, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*loupe.Vulnerability
	done := map[string]bool{}
	for _, o := range slices.Backward(s.ops) {
		if !done[o.op.Updater] {
			done[o.op.Updater] = true
			out = append(out, ptrs(s.withIDs(o.snap))...)
		}
	}
	return out, nil
}

func (s *memMatcher) DataVersion(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.Itoa(s.version), nil
}

func (s *memMatcher) Initialized(context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version > 0, nil
}

func (s *memMatcher) UpdateOperations(_ context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]loupe.UpdateOperation{}
	for _, o := range slices.Backward(s.ops) {
		if o.op.Kind == kind && (!latest || len(out[o.op.Updater]) == 0) {
			out[o.op.Updater] = append(out[o.op.Updater], o.op)
		}
	}
	return out, nil
}

func (s *memMatcher) LatestRef(_ context.Context, kind string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range slices.Backward(s.ops) {
		if o.op.Kind == kind {
			return o.op.Ref, nil
		}
	}
	return "", nil
}

func (s *memMatcher) DeleteUpdateOperations(_ context.Context, refs ...string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.ops)
	s.ops = slices.DeleteFunc(s.ops, func(o *memOp) bool { return slices.Contains(refs, o.op.Ref) })
	n -= len(s.ops)
	if n > 0 {
		s.version++
	}
	return n, nil
}

func (s *memMatcher) UpdateDiff(_ context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.find(cur)
	if c == nil {
		return nil, errors.New("unknown cur")
	}
	d := &loupe.UpdateDiff{Cur: c.op}
	var before map[string]*loupe.Vulnerability
	if prev != "" {
		p := s.find(prev)
		switch {
		case p == nil:
			return nil, errors.New("unknown prev")
		case p.op.Updater != c.op.Updater:
			return nil, errors.New("different updaters")
		}
		d.Prev, before = p.op, p.snap
	}
	added, removed := map[string]*loupe.Vulnerability{}, map[string]*loupe.Vulnerability{}
	for k, v := range c.snap {
		if before[k] == nil {
			added[k] = v
		}
	}
	for k, v := range before {
		if c.snap[k] == nil {
			removed[k] = v
		}
	}
	d.Added, d.Removed = s.withIDs(added), s.withIDs(removed)
	return d, nil
}

// memLeases is the reference store.Leaser.
type memLeases struct {
	mu     sync.Mutex
	leases map[string]memLease
}

type memLease struct {
	owner   string
	expires time.Time
}

func (m *memLeases) Acquire(_ context.Context, key, owner string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leases == nil {
		m.leases = make(map[string]memLease)
	}
	now := time.Now()
	if l, ok := m.leases[key]; ok && l.owner != owner && now.Before(l.expires) {
		return false, nil
	}
	m.leases[key] = memLease{owner, now.Add(ttl)}
	return true, nil
}

func (m *memLeases) Release(_ context.Context, key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.leases[key]; ok && l.owner == owner {
		delete(m.leases, key)
	}
	return nil
}
