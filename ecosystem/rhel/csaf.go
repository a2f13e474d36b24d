package rhel

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/version"
)

// The parts of a CSAF 2.0 document (https://docs.oasis-open.org/csaf/csaf/v2.0/)
// that Loupe reads. Red Hat publishes two kinds: VEX documents, one per
// CVE (category csaf_vex), and advisories, one per RHSA (category
// csaf_security_advisory); both share this shape.
type csafDocument struct {
	Document struct {
		Category          string `json:"category"`
		AggregateSeverity struct {
			Text string `json:"text"`
		} `json:"aggregate_severity"`
		References []csafReference `json:"references"`
		Tracking   struct {
			ID                 string `json:"id"`
			Status             string `json:"status"`
			InitialReleaseDate string `json:"initial_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches         []csafBranch       `json:"branches"`
		FullProductNames []csafProduct      `json:"full_product_names"`
		Relationships    []csafRelationship `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []csafVulnerability `json:"vulnerabilities"`
}

type csafReference struct {
	Category string `json:"category"`
	URL      string `json:"url"`
}

type csafBranch struct {
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *csafProduct `json:"product"`
	Branches []csafBranch `json:"branches"`
}

type csafProduct struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
	Helper    struct {
		CPE  string `json:"cpe"`
		PURL string `json:"purl"`
	} `json:"product_identification_helper"`
}

type csafRelationship struct {
	Category         string      `json:"category"`
	FullProductName  csafProduct `json:"full_product_name"`
	ProductReference string      `json:"product_reference"`
	RelatesTo        string      `json:"relates_to_product_reference"`
}

type csafVulnerability struct {
	CVE   string `json:"cve"`
	Title string `json:"title"`
	Notes []struct {
		Category string `json:"category"`
		Text     string `json:"text"`
	} `json:"notes"`
	ReleaseDate   string            `json:"release_date"`
	DiscoveryDate string            `json:"discovery_date"`
	ProductStatus csafProductStatus `json:"product_status"`
	Remediations  []struct {
		Category   string   `json:"category"`
		URL        string   `json:"url"`
		ProductIDs []string `json:"product_ids"`
	} `json:"remediations"`
	Scores []struct {
		CVSSV2   *csafCVSS `json:"cvss_v2"`
		CVSSV3   *csafCVSS `json:"cvss_v3"`
		CVSSV4   *csafCVSS `json:"cvss_v4"`
		Products []string  `json:"products"`
	} `json:"scores"`
	Threats []struct {
		Category   string   `json:"category"`
		Details    string   `json:"details"`
		ProductIDs []string `json:"product_ids"`
	} `json:"threats"`
	References []csafReference `json:"references"`
}

type csafProductStatus struct {
	Fixed              []string `json:"fixed"`
	KnownAffected      []string `json:"known_affected"`
	KnownNotAffected   []string `json:"known_not_affected"`
	UnderInvestigation []string `json:"under_investigation"`
}

type csafCVSS struct {
	VectorString string `json:"vectorString"`
}

// ParseStats counts what parsing left out, for logs and tests.
type ParseStats struct {
	Documents int // documents parsed
	Skipped   int // documents skipped: malformed, deleted, too old
	// Products are product statuses that could not be used: no
	// relationship, no CPE or purl, a purl that is not a Red Hat rpm, a
	// malformed module.
	Products int
	// NotAffected are fixed or affected entries dropped because the same
	// document says the package is not affected in a product covering
	// theirs.
	NotAffected int
	// Investigating are product statuses under investigation, which are
	// not reported (as in Clair).
	Investigating int
}

func (s *ParseStats) add(o ParseStats) {
	s.Documents += o.Documents
	s.Skipped += o.Skipped
	s.Products += o.Products
	s.NotAffected += o.NotAffected
	s.Investigating += o.Investigating
}

// parser turns CSAF documents into vulnerabilities. It keeps caches that
// make the vulnerabilities of many documents share their repositories;
// it is not safe for concurrent use.
type parser struct {
	updater      string
	ignoreKernel bool
	repos        map[string]*loupe.Repository // formatted CPE → repository
	cpes         map[string]*cpeName          // CPE as written → parsed
	stats        ParseStats
}

func newParser(updater string, ignoreKernel bool) *parser {
	return &parser{
		updater:      updater,
		ignoreKernel: ignoreKernel,
		repos:        make(map[string]*loupe.Repository),
		cpes:         make(map[string]*cpeName),
	}
}

var errDeleted = errors.New("document deleted")

// parse decodes one document and returns its vulnerabilities and its
// tracking ID.
func (p *parser) parse(b []byte) (id string, out []*loupe.Vulnerability, err error) {
	var doc csafDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", nil, fmt.Errorf("csaf: %w", err)
	}
	id = doc.Document.Tracking.ID
	if strings.EqualFold(doc.Document.Tracking.Status, "deleted") {
		return id, nil, errDeleted
	}
	out = p.document(&doc)
	return id, out, nil
}

// docIndex resolves a document's product IDs.
type docIndex struct {
	products map[string]*csafProduct
	rels     map[string]*csafRelationship
}

func indexDocument(doc *csafDocument) *docIndex {
	ix := &docIndex{
		products: make(map[string]*csafProduct),
		rels:     make(map[string]*csafRelationship, len(doc.ProductTree.Relationships)),
	}
	var walk func(bs []csafBranch, depth int)
	walk = func(bs []csafBranch, depth int) {
		if depth > 32 {
			return
		}
		for i := range bs {
			if pr := bs[i].Product; pr != nil && pr.ProductID != "" {
				ix.products[pr.ProductID] = pr
			}
			walk(bs[i].Branches, depth+1)
		}
	}
	walk(doc.ProductTree.Branches, 0)
	for i := range doc.ProductTree.FullProductNames {
		if pr := &doc.ProductTree.FullProductNames[i]; pr.ProductID != "" {
			ix.products[pr.ProductID] = pr
		}
	}
	for i := range doc.ProductTree.Relationships {
		r := &doc.ProductTree.Relationships[i]
		if r.FullProductName.ProductID != "" {
			ix.rels[r.FullProductName.ProductID] = r
		}
	}
	return ix
}

// resolve follows a product status ID through its relationship ("product
// X as a component of product Y"), and the relationships those refer to,
// to the package (with a purl) and the product (with a CPE).
func (ix *docIndex) resolve(id string) (pkg, prod *csafProduct) {
	r, ok := ix.rels[id]
	if !ok {
		return nil, nil
	}
	pkgID, prodID := r.ProductReference, r.RelatesTo
	for range 5 {
		rr, ok := ix.rels[pkgID]
		if !ok {
			break
		}
		pkgID = rr.ProductReference
	}
	for range 5 {
		rr, ok := ix.rels[prodID]
		if !ok {
			break
		}
		prodID = rr.RelatesTo
	}
	return ix.products[pkgID], ix.products[prodID]
}

// entry is one usable product status: a Red Hat rpm in a product.
type entry struct {
	id     string // the product status ID
	cpe    *cpeName
	name   string
	module string
	evr    string // "" for a component with no version
	arch   string
}

// entry resolves a product status ID, or returns nil (counted) when it
// is not a Red Hat rpm of a product with a CPE.
func (p *parser) entry(ix *docIndex, id string) *entry {
	pkg, prod := ix.resolve(id)
	if pkg == nil || prod == nil || pkg.Helper.PURL == "" || prod.Helper.CPE == "" {
		p.stats.Products++
		return nil
	}
	c := p.cpe(prod.Helper.CPE)
	if c == nil {
		p.stats.Products++
		return nil
	}
	pu, err := parsePURL(pkg.Helper.PURL)
	if err == nil && pu.Type == "oci" {
		return nil // a container image: see containerEntry
	}
	if err != nil || pu.Type != "rpm" || pu.Namespace != "redhat" {
		p.stats.Products++
		return nil
	}
	mod, err := pu.module()
	if err != nil {
		p.stats.Products++
		return nil
	}
	if p.ignoreKernel && strings.HasPrefix(pu.Name, "kernel") {
		return nil
	}
	evr := pu.evr()
	if evr != "" {
		if _, err := version.ParseRPM(evr); err != nil {
			p.stats.Products++
			return nil
		}
	}
	return &entry{id: id, cpe: c, name: pu.Name, module: mod, evr: evr, arch: pu.Arch}
}

func (p *parser) cpe(s string) *cpeName {
	if c, ok := p.cpes[s]; ok {
		return c
	}
	c, ok := parseCPE(s)
	var cp *cpeName
	if ok {
		cp = &c
	}
	if len(p.cpes) < 1<<16 {
		p.cpes[s] = cp
	}
	return cp
}

func (p *parser) repository(c *cpeName) *loupe.Repository {
	if r, ok := p.repos[c.fs]; ok {
		return r
	}
	r := &loupe.Repository{Name: c.fs, Key: RepositoryKey, CPE: c.fs}
	p.repos[c.fs] = r
	return r
}

// rowKey identifies one vulnerability record of a CSAF vulnerability:
// what Clair stores as one row. Fixed binaries are grouped across
// architectures.
type rowKey struct {
	cpe, name, module, evr string
	source                 bool
}

type row struct {
	key    rowKey
	cpe    *cpeName
	arches []string
	first  string // the first product status ID, for scores and threats
}

// document returns the vulnerabilities of one document.
func (p *parser) document(doc *csafDocument) []*loupe.Vulnerability {
	ix := indexDocument(doc)
	var docLink string
	for _, r := range doc.Document.References {
		if r.Category == "self" && r.URL != "" {
			docLink = r.URL
		}
	}
	var out []*loupe.Vulnerability
	for i := range doc.Vulnerabilities {
		out = p.vulnerability(out, doc, ix, &doc.Vulnerabilities[i], docLink)
	}
	return out
}

func (p *parser) vulnerability(out []*loupe.Vulnerability, doc *csafDocument, ix *docIndex, v *csafVulnerability, docLink string) []*loupe.Vulnerability {
	ps := &v.ProductStatus
	p.stats.Investigating += len(ps.UnderInvestigation)

	// Not affected: no record, and no fixed or affected record that a
	// not-affected statement for the same package covers.
	var notAffected []*entry
	for _, id := range ps.KnownNotAffected {
		if e := p.entry(ix, id); e != nil {
			notAffected = append(notAffected, e)
		}
	}
	excluded := func(e *entry) bool {
		for _, na := range notAffected {
			// A statement about one build (or one architecture of it)
			// covers that build only: Red Hat marks source rpms not
			// affected while fixing the binaries built from them.
			if na.name == e.name && na.module == e.module && na.cpe.covers(e.cpe.fs) &&
				(na.evr == "" || na.evr == e.evr) && (na.arch == "" || na.arch == e.arch) {
				p.stats.NotAffected++
				return true
			}
		}
		return false
	}

	var rows []*row
	index := make(map[rowKey]*row)
	add := func(k rowKey, e *entry) {
		r, ok := index[k]
		if !ok {
			r = &row{key: k, cpe: e.cpe, first: e.id}
			index[k] = r
			rows = append(rows, r)
		}
		if e.arch != "" && e.arch != "src" && !slices.Contains(r.arches, e.arch) {
			r.arches = append(r.arches, e.arch)
		}
	}

	// Fixed: binaries, grouped over architectures. A source rpm makes a
	// record of its own (matched by source package) only when the
	// document lists no binary of the same build in the product.
	type build struct{ cpe, module, evr string }
	var sources []*entry
	builds := make(map[build]bool)
	for _, id := range ps.Fixed {
		e := p.entry(ix, id)
		if e == nil || e.evr == "" || excluded(e) {
			continue
		}
		if e.arch == "src" {
			sources = append(sources, e)
			continue
		}
		builds[build{e.cpe.fs, e.module, e.evr}] = true
		add(rowKey{cpe: e.cpe.fs, name: e.name, module: e.module, evr: e.evr}, e)
	}
	for _, e := range sources {
		if !builds[build{e.cpe.fs, e.module, e.evr}] {
			add(rowKey{cpe: e.cpe.fs, name: e.name, module: e.module, evr: e.evr, source: true}, e)
		}
	}
	// Known affected: components, unfixed, matched by source or binary
	// name (Red Hat lists both kinds of names).
	for _, id := range ps.KnownAffected {
		e := p.entry(ix, id)
		if e == nil || excluded(e) {
			continue
		}
		add(rowKey{cpe: e.cpe.fs, name: e.name, module: e.module, source: true}, e)
	}
	crows := p.containerRows(ix, ps)
	if len(rows) == 0 && len(crows) == 0 {
		return out
	}
	rows = p.mergeEditions(rows)

	// What every record of the vulnerability shares.
	name := strings.TrimSpace(v.CVE)
	if name == "" {
		name = strings.TrimSpace(doc.Document.Tracking.ID)
	}
	if name == "" {
		p.stats.Products += len(rows) + len(crows)
		return out
	}
	var desc, summary string
	for _, n := range v.Notes {
		switch n.Category {
		case "description":
			desc = n.Text
		case "summary":
			summary = n.Text
		}
	}
	if desc == "" {
		desc = summary
	}
	if desc == "" {
		desc = v.Title
	}
	issued := parseTime(v.ReleaseDate)
	if issued.IsZero() {
		issued = parseTime(v.DiscoveryDate)
	}
	if issued.IsZero() {
		issued = parseTime(doc.Document.Tracking.InitialReleaseDate)
	}
	links := make([]string, 0, len(v.References)+2)
	for _, r := range v.References {
		if r.URL != "" && !strings.ContainsAny(r.URL, " \t\n") && !slices.Contains(links, r.URL) {
			links = append(links, r.URL)
		}
	}
	if docLink != "" && !slices.Contains(links, docLink) {
		links = append(links, docLink)
	}
	baseLinks := strings.Join(links, " ")

	vectors := make(map[string]string)
	for _, s := range v.Scores {
		var vec string
		switch {
		case s.CVSSV4 != nil && s.CVSSV4.VectorString != "":
			vec = s.CVSSV4.VectorString
		case s.CVSSV3 != nil && s.CVSSV3.VectorString != "":
			vec = s.CVSSV3.VectorString
		case s.CVSSV2 != nil && s.CVSSV2.VectorString != "":
			vec = s.CVSSV2.VectorString
		}
		for _, id := range s.Products {
			if _, ok := vectors[id]; !ok && vec != "" {
				vectors[id] = vec
			}
		}
	}
	impacts := make(map[string]string)
	var impact string
	for _, t := range v.Threats {
		if t.Category != "impact" {
			continue
		}
		if len(t.ProductIDs) == 0 && impact == "" {
			impact = t.Details
		}
		for _, id := range t.ProductIDs {
			if _, ok := impacts[id]; !ok {
				impacts[id] = t.Details
			}
		}
	}
	if impact == "" {
		impact = doc.Document.AggregateSeverity.Text
	}
	fixes := make(map[string]string)
	for _, r := range v.Remediations {
		if r.Category != "vendor_fix" || r.URL == "" || strings.ContainsAny(r.URL, " \t\n") {
			continue
		}
		for _, id := range r.ProductIDs {
			if _, ok := fixes[id]; !ok {
				fixes[id] = r.URL
			}
		}
	}
	linksWith := make(map[string]string)
	// shared fills in what the records of the vulnerability share, and
	// the severity and erratum of the product status first behind it.
	shared := func(vuln *loupe.Vulnerability, first string, fixed bool) {
		vuln.Updater, vuln.Name, vuln.Description, vuln.Issued, vuln.Links = p.updater, name, desc, issued, baseLinks
		vuln.Severity = vectors[first]
		sev := impacts[first]
		if sev == "" {
			sev = impact
		}
		vuln.NormalizedSeverity = NormalizeSeverity(sev)
		if u := fixes[first]; u != "" && fixed && !slices.Contains(links, u) {
			l, ok := linksWith[u]
			if !ok {
				l = strings.TrimSpace(baseLinks + " " + u)
				linksWith[u] = l
			}
			vuln.Links = l
		}
	}

	for _, r := range rows {
		vuln := &loupe.Vulnerability{
			Package: &loupe.Package{
				Name:   r.key.name,
				Kind:   loupe.BinaryPackage,
				Module: r.key.module,
			},
			Repo:           p.repository(r.cpe),
			FixedInVersion: r.key.evr,
		}
		if r.key.source {
			vuln.Package.Kind = loupe.SourcePackage
		}
		if len(r.arches) > 0 {
			vuln.Package.Arch = strings.Join(r.arches, "|")
			vuln.ArchOperation = loupe.ArchOpPatternMatch
		}
		shared(vuln, r.first, r.key.evr != "")
		out = append(out, vuln)
	}
	for _, r := range crows {
		vuln := &loupe.Vulnerability{}
		p.containerVuln(vuln, r)
		shared(vuln, r.first, r.tag != "")
		out = append(out, vuln)
	}
	return out
}

// mergeEditions folds the records of one build that differ only in the
// edition or part of their product (the same rpm fixed in BaseOS,
// AppStream and CodeReady Builder of RHEL 9) into one record whose
// product leaves those attributes open: an image that has several of
// those repositories would otherwise get the same fix reported once per
// repository.
func (p *parser) mergeEditions(rows []*row) []*row {
	if len(rows) < 2 {
		return rows
	}
	type group struct {
		name, module, evr string
		source            bool
		vendor, product   string
		version           string
	}
	first := make(map[group]*row, len(rows))
	out := rows[:0]
	for _, r := range rows {
		g := group{r.key.name, r.key.module, r.key.evr, r.key.source, r.cpe.attrs[1], r.cpe.attrs[2], r.cpe.attrs[3]}
		f, ok := first[g]
		if !ok {
			first[g] = r
			out = append(out, r)
			continue
		}
		if f.cpe != r.cpe {
			attrs := f.cpe.attrs
			for i := range attrs {
				if attrs[i] != r.cpe.attrs[i] {
					attrs[i] = "*"
				}
			}
			f.cpe = p.cpe("cpe:2.3:" + strings.Join(attrs[:], ":"))
			f.key.cpe = f.cpe.fs
		}
		for _, a := range r.arches {
			if !slices.Contains(f.arches, a) {
				f.arches = append(f.arches, a)
			}
		}
	}
	return out
}

// NormalizeSeverity maps Red Hat's impact ratings to normalized
// severities, as Clair does: Low → Low, Moderate → Medium, Important →
// High, Critical → Critical, anything else (None included) → Unknown.
func NormalizeSeverity(impact string) loupe.Severity {
	switch strings.ToLower(strings.TrimSpace(impact)) {
	case "low":
		return loupe.Low
	case "moderate":
		return loupe.Medium
	case "important":
		return loupe.High
	case "critical":
		return loupe.Critical
	}
	return loupe.Unknown
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
