package indexer

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/loupe-dev/loupe"
)

// Stored findings are JSON compressed with zstd: findings are written
// once per layer and read back by every manifest with the layer, so their
// encoding favours small size and cheap decoding. Stored reports, read
// back far more often (by the notifier, for every manifest an update
// affects), are in the binary format of report_codec.go, compressed too.

const findingsFormat = 1

type findingsWire struct {
	Format        int                   `json:"v"`
	Packages      []*packageWire        `json:"p,omitempty"`
	Distributions []*loupe.Distribution `json:"d,omitempty"`
	Repositories  []*loupe.Repository   `json:"r,omitempty"`
	Databases     []string              `json:"db,omitempty"`
	Whiteouts     []string              `json:"w,omitempty"`
	Opaque        []string              `json:"o,omitempty"`
}

type packageWire struct {
	Name              string        `json:"n"`
	Version           string        `json:"v"`
	Kind              string        `json:"k,omitempty"`
	Source            *packageWire  `json:"s,omitempty"`
	PackageDB         string        `json:"db,omitempty"`
	Filepath          string        `json:"f,omitempty"`
	RepositoryHint    string        `json:"h,omitempty"`
	NormalizedVersion loupe.Version `json:"nv,omitzero"`
	Module            string        `json:"m,omitempty"`
	Arch              string        `json:"a,omitempty"`
	CPE               string        `json:"c,omitempty"`
}

func toWire(p *loupe.Package) *packageWire {
	if p == nil {
		return nil
	}
	return &packageWire{
		Name: p.Name, Version: p.Version, Kind: p.Kind, Source: toWire(p.Source),
		PackageDB: p.PackageDB, Filepath: p.Filepath, RepositoryHint: p.RepositoryHint,
		NormalizedVersion: p.NormalizedVersion, Module: p.Module, Arch: p.Arch, CPE: p.CPE,
	}
}

func fromWire(w *packageWire) *loupe.Package {
	if w == nil {
		return nil
	}
	return &loupe.Package{
		Name: w.Name, Version: w.Version, Kind: w.Kind, Source: fromWire(w.Source),
		PackageDB: w.PackageDB, Filepath: w.Filepath, RepositoryHint: w.RepositoryHint,
		NormalizedVersion: w.NormalizedVersion, Module: w.Module, Arch: w.Arch, CPE: w.CPE,
	}
}

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
)

func compress(b []byte) []byte { return zenc.EncodeAll(b, make([]byte, 0, len(b)/4)) }

func decompress(b []byte) ([]byte, error) { return zdec.DecodeAll(b, nil) }

// encodeFindings encodes a scanner's findings for the store.
func encodeFindings(f *Findings) ([]byte, error) {
	w := findingsWire{Format: findingsFormat, Distributions: f.Distributions, Repositories: f.Repositories, Databases: f.Databases}
	for _, p := range f.Packages {
		w.Packages = append(w.Packages, toWire(p))
	}
	b, err := json.Marshal(&w)
	if err != nil {
		return nil, err
	}
	return compress(b), nil
}

func encodeLayerFiles(lf *layerFiles) ([]byte, error) {
	b, err := json.Marshal(&findingsWire{Format: findingsFormat, Whiteouts: lf.whiteouts, Opaque: lf.opaque})
	if err != nil {
		return nil, err
	}
	return compress(b), nil
}

func decodeWire(b []byte) (*findingsWire, error) {
	raw, err := decompress(b)
	if err != nil {
		return nil, err
	}
	var w findingsWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	if w.Format != findingsFormat {
		return nil, fmt.Errorf("stored findings in unknown format %d", w.Format)
	}
	return &w, nil
}

func decodeFindings(b []byte) (*Findings, error) {
	w, err := decodeWire(b)
	if err != nil {
		return nil, err
	}
	f := &Findings{Distributions: w.Distributions, Repositories: w.Repositories, Databases: w.Databases}
	for _, p := range w.Packages {
		f.Packages = append(f.Packages, fromWire(p))
	}
	return f, nil
}

func decodeLayerFiles(b []byte) (*layerFiles, error) {
	w, err := decodeWire(b)
	if err != nil {
		return nil, err
	}
	return &layerFiles{whiteouts: w.Whiteouts, opaque: w.Opaque}, nil
}

// encodeReport and decodeReport store IndexReports: the binary format of
// report_codec.go, compressed with zstd. Reports stored as JSON by
// earlier builds still decode.
func encodeReport(r *loupe.IndexReport) ([]byte, error) {
	b, err := marshalReport(r)
	if err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	return compress(b), nil
}

// maxReportSize bounds a stored report decompressed, against corrupt
// data: well above any real report, in either format.
const maxReportSize = 256 << 20

var reportDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxReportSize))

// rawReports recycles the buffers reports decompress into: neither
// decoder keeps a reference to its input.
var rawReports = sync.Pool{New: func() any { return new([]byte) }}

func decodeReport(b []byte) (*loupe.IndexReport, error) {
	buf := rawReports.Get().(*[]byte)
	raw, err := reportDec.DecodeAll(b, (*buf)[:0])
	if cap(raw) <= 1<<20 {
		*buf = raw
		defer rawReports.Put(buf)
	}
	if err != nil {
		return nil, err
	}
	return unmarshalStoredReport(raw)
}

// unmarshalStoredReport decodes a decompressed report in either format.
func unmarshalStoredReport(raw []byte) (*loupe.IndexReport, error) {
	if len(raw) > 0 && raw[0] == reportBinary1 {
		return unmarshalReport(raw)
	}
	var r loupe.IndexReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
