package oval

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ErrNotOVAL is returned by Parse for a document whose root element is not
// oval_definitions.
var ErrNotOVAL = errors.New("not an OVAL definitions document")

// maxDepth bounds the nesting of criteria, so that a hostile document
// cannot make the parser recurse without end.
const maxDepth = 64

// Decompress returns r's content, decompressed when it starts with the
// magic bytes of gzip, bzip2 or zstd, as is when it does not. Close
// releases the decompressor; it does not close r.
func Decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return io.NopCloser(bzip2.NewReader(br)), nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}

// Options tune what Parse keeps.
type Options struct {
	// NoComments leaves out the comments of criteria, which only a
	// reader of documents with missing tests needs, and which take much
	// of the memory of a large document.
	NoComments bool
}

// Parse reads an OVAL definitions document, compressed or not (see
// Decompress). A document that is not well-formed XML, or whose root is
// not oval_definitions, is an error; definitions, tests, objects and
// states that lack parts are kept as they are, for the caller to judge.
func Parse(ctx context.Context, r io.Reader) (*Document, error) {
	return ParseOptions(ctx, r, Options{})
}

// ParseOptions is Parse with options.
func ParseOptions(ctx context.Context, r io.Reader, o Options) (*Document, error) {
	rc, err := Decompress(r)
	if err != nil {
		return nil, fmt.Errorf("oval: %w", err)
	}
	defer rc.Close()
	p := parser{
		opts: o,
		dec:  xml.NewDecoder(rc),
		doc: &Document{
			Tests:   make(map[string]*Test),
			Objects: make(map[string]*Object),
			States:  make(map[string]*State),
		},
	}
	p.dec.CharsetReader = charsetReader
	if err := p.document(ctx); err != nil {
		return nil, fmt.Errorf("oval: %w", err)
	}
	return p.doc, nil
}

type parser struct {
	opts  Options
	dec   *xml.Decoder
	doc   *Document
	count int // elements kept, to check the context now and then
	// strs interns the strings that repeat across a document: IDs used
	// as references, element names, operations. A large document refers
	// to the same few tests and states thousands of times.
	strs map[string]string
}

func (p *parser) intern(s string) string {
	if v, ok := p.strs[s]; ok {
		return v
	}
	if p.strs == nil {
		p.strs = make(map[string]string)
	}
	p.strs[s] = s
	return s
}

func (p *parser) document(ctx context.Context) error {
	rooted := false
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			if !rooted {
				return ErrNotOVAL
			}
			return nil
		}
		if err != nil {
			return err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !rooted {
			if start.Name.Local != "oval_definitions" {
				return fmt.Errorf("%w: root element %q", ErrNotOVAL, start.Name.Local)
			}
			rooted = true
			continue
		}
		if p.count++; p.count%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		local := start.Name.Local
		switch {
		case local == "definition":
			d, err := p.definition(start)
			if err != nil {
				return err
			}
			p.doc.Definitions = append(p.doc.Definitions, d)
		case strings.HasSuffix(local, "_test"):
			t, err := p.test(start)
			if err != nil {
				return err
			}
			if _, dup := p.doc.Tests[t.ID]; !dup && t.ID != "" {
				p.doc.Tests[t.ID] = t
			}
		case strings.HasSuffix(local, "_object"):
			o, err := p.object(start)
			if err != nil {
				return err
			}
			if _, dup := p.doc.Objects[o.ID]; !dup && o.ID != "" {
				p.doc.Objects[o.ID] = o
			}
		case strings.HasSuffix(local, "_state"):
			s, err := p.state(start)
			if err != nil {
				return err
			}
			if _, dup := p.doc.States[s.ID]; !dup && s.ID != "" {
				p.doc.States[s.ID] = s
			}
		case local == "variables":
			// Nothing the feeds need lives here.
			if err := p.dec.Skip(); err != nil {
				return err
			}
		}
		// Any other element (definitions, tests, generator, …) is a
		// container: read on into it.
	}
}

// children calls fn for each child element of the element just started,
// until its end. fn must consume the child, to its end element.
func (p *parser) children(fn func(xml.StartElement) error) error {
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return unexpectedEOF(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// text returns the character data of the element just started, trimmed,
// consuming it to its end; the text of nested elements is left out.
func (p *parser) text() (string, error) {
	var b strings.Builder
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return "", unexpectedEOF(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if err := p.dec.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return strings.TrimSpace(b.String()), nil
		}
	}
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (p *parser) definition(start xml.StartElement) (*Definition, error) {
	d := &Definition{ID: attr(start, "id"), Class: attr(start, "class")}
	err := p.children(func(e xml.StartElement) error {
		switch e.Name.Local {
		case "metadata":
			return p.metadata(d)
		case "criteria":
			if d.Criteria != nil {
				return p.dec.Skip()
			}
			c, err := p.criteria(e, 1)
			d.Criteria = c
			return err
		}
		return p.dec.Skip()
	})
	return d, err
}

func (p *parser) metadata(d *Definition) error {
	return p.children(func(e xml.StartElement) error {
		var err error
		switch e.Name.Local {
		case "title":
			d.Title, err = p.text()
		case "description":
			d.Description, err = p.text()
		case "affected":
			err = p.children(func(e xml.StartElement) error {
				if e.Name.Local != "platform" {
					return p.dec.Skip()
				}
				s, err := p.text()
				if s != "" {
					d.Platforms = append(d.Platforms, s)
				}
				return err
			})
		case "reference":
			d.References = append(d.References, Reference{
				Source: attr(e, "source"), RefID: attr(e, "ref_id"), URL: attr(e, "ref_url"),
			})
			err = p.dec.Skip()
		case "advisory":
			err = p.advisory(&d.Advisory)
		case "severity":
			d.Severity, err = p.text()
		case "patchable":
			d.Patchable, err = p.text()
		case "advisory_date":
			var s string
			s, err = p.text()
			d.AdvisoryDate = parseDate(s)
		default:
			err = p.dec.Skip()
		}
		return err
	})
}

func (p *parser) advisory(a *Advisory) error {
	return p.children(func(e xml.StartElement) error {
		var err error
		switch e.Name.Local {
		case "severity":
			a.Severity, err = p.text()
		case "issued":
			a.Issued = parseDate(attr(e, "date"))
			err = p.dec.Skip()
		case "updated":
			a.Updated = parseDate(attr(e, "date"))
			err = p.dec.Skip()
		case "cve":
			c := CVE{Href: attr(e, "href"), CVSS3: attr(e, "cvss3"), Impact: attr(e, "impact")}
			c.ID, err = p.text()
			a.CVEs = append(a.CVEs, c)
		case "bugzilla":
			if h := attr(e, "href"); h != "" {
				a.Bugs = append(a.Bugs, h)
			}
			err = p.dec.Skip()
		case "affected_cpe_list":
			err = p.children(func(e xml.StartElement) error {
				if e.Name.Local != "cpe" {
					return p.dec.Skip()
				}
				s, err := p.text()
				if s != "" {
					a.AffectedCPEs = append(a.AffectedCPEs, s)
				}
				return err
			})
		default:
			err = p.dec.Skip()
		}
		return err
	})
}

func (p *parser) criteria(start xml.StartElement, depth int) (*Criteria, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("criteria nested deeper than %d", maxDepth)
	}
	c := &Criteria{Operator: strings.ToUpper(strings.TrimSpace(attr(start, "operator"))), Negate: isTrue(attr(start, "negate"))}
	if c.Operator == "" {
		c.Operator = "AND"
	}
	err := p.children(func(e xml.StartElement) error {
		switch e.Name.Local {
		case "criteria":
			sub, err := p.criteria(e, depth+1)
			if sub != nil {
				c.Criteria = append(c.Criteria, sub)
			}
			return err
		case "criterion":
			l := Criterion{TestRef: p.intern(attr(e, "test_ref")), Negate: isTrue(attr(e, "negate"))}
			if !p.opts.NoComments {
				l.Comment = attr(e, "comment")
			}
			c.Leaves = append(c.Leaves, l)
		}
		// extend_definition is not used by the feeds Loupe reads.
		return p.dec.Skip()
	})
	return c, err
}

func isTrue(s string) bool { return s == "true" || s == "1" }

func (p *parser) test(start xml.StartElement) (*Test, error) {
	t := &Test{ID: p.intern(attr(start, "id")), Kind: p.intern(start.Name.Local), Check: p.intern(attr(start, "check"))}
	err := p.children(func(e xml.StartElement) error {
		switch e.Name.Local {
		case "object":
			if t.ObjectRef == "" {
				t.ObjectRef = p.intern(attr(e, "object_ref"))
			}
		case "state":
			if ref := attr(e, "state_ref"); ref != "" {
				t.StateRefs = append(t.StateRefs, p.intern(ref))
			}
		}
		return p.dec.Skip()
	})
	return t, err
}

func (p *parser) object(start xml.StartElement) (*Object, error) {
	o := &Object{ID: p.intern(attr(start, "id")), Kind: p.intern(start.Name.Local)}
	err := p.children(func(e xml.StartElement) error {
		if e.Name.Local != "name" || attr(e, "var_ref") != "" || o.Name != "" {
			return p.dec.Skip()
		}
		var err error
		o.Name, err = p.text()
		o.Name = p.intern(o.Name)
		return err
	})
	return o, err
}

func (p *parser) state(start xml.StartElement) (*State, error) {
	s := &State{ID: p.intern(attr(start, "id")), Kind: p.intern(start.Name.Local)}
	err := p.children(func(e xml.StartElement) error {
		var dst **Field
		switch e.Name.Local {
		case "evr":
			dst = &s.EVR
		case "arch":
			dst = &s.Arch
		case "version":
			dst = &s.Version
		case "release":
			dst = &s.Release
		case "signature_keyid":
			dst = &s.SignatureKeyID
		case "family":
			dst = &s.Family
		default:
			return p.dec.Skip()
		}
		op := strings.TrimSpace(attr(e, "operation"))
		if op == "" {
			op = OpEquals
		}
		f := &Field{Operation: p.intern(op), Datatype: p.intern(attr(e, "datatype"))}
		var err error
		f.Value, err = p.text()
		f.Value = p.intern(f.Value)
		if *dst == nil {
			*dst = f
		}
		return err
	})
	return s, err
}

// parseDate reads the dates the feeds write: "2006-01-02", or RFC 3339.
// Anything else is the zero time.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// charsetReader lets the decoder read the 8-bit encodings an XML
// declaration may name; UTF-8 needs none.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return &latin1Reader{r: bufio.NewReader(input)}, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// latin1Reader decodes ISO 8859-1 (of which ASCII is a subset) to UTF-8.
type latin1Reader struct {
	r       *bufio.Reader
	pending []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.pending) > 0 {
			c := copy(p[n:], l.pending)
			l.pending = l.pending[c:]
			n += c
			continue
		}
		b, err := l.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b < utf8.RuneSelf {
			p[n] = b
			n++
			continue
		}
		l.pending = utf8.AppendRune(l.pending[:0], rune(b))
	}
	return n, nil
}
