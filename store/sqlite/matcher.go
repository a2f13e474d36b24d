package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/store/internal/vulnparts"
)

// MatcherStore is the matcher's embedded store: vulnerabilities and the
// update operations that landed them.
type MatcherStore struct {
	db   *sql.DB
	path string
}

// OpenMatcher opens the matcher database at path.
func OpenMatcher(ctx context.Context, path string) (*MatcherStore, error) {
	db, err := open(ctx, path, "matcher")
	if err != nil {
		return nil, err
	}
	return &MatcherStore{db: db, path: path}, nil
}

// Close closes the database.
func (s *MatcherStore) Close() error { return s.db.Close() }

// Collector returns a Prometheus collector of the database's connection
// pool statistics, the loupe_db_pool_* metrics labelled service="matcher".
// Register it once per store.
func (s *MatcherStore) Collector() prometheus.Collector { return collector(s.db, "matcher") }

// Path returns the database file's path.
func (s *MatcherStore) Path() string { return s.path }

// Size returns the bytes the database uses: its pages, after folding the
// write-ahead log in, less the pages free for reuse.
func (s *MatcherStore) Size(ctx context.Context) (int64, error) {
	return dbSize(ctx, s.db)
}

// Ping checks that the database answers.
func (s *MatcherStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// ErrUnknownOperation is returned for an update operation ref that does
// not exist.
var ErrUnknownOperation = errors.New("unknown update operation")

// UpdateVulnerabilities replaces the live data of updater with vulns. If
// that changes anything it lands an update operation and returns it;
// otherwise it returns nil. Either way it records fingerprint as the
// updater's latest.
func (s *MatcherStore) UpdateVulnerabilities(ctx context.Context, updater, fingerprint string, vulns []*loupe.Vulnerability) (*loupe.UpdateOperation, error) {
	incoming, err := vulnparts.SplitAll(updater, vulns)
	if err != nil {
		return nil, err
	}
	var op *loupe.UpdateOperation
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		op = nil
		uid, err := updaterID(ctx, tx, updater)
		if err != nil {
			return err
		}
		live := make(map[vulnparts.Hash]int64)
		rows, err := tx.QueryContext(ctx, `SELECT v.id, v.hash FROM vuln_span s JOIN vuln v ON v.id = s.vuln WHERE s.updater = ? AND s.removed IS NULL`, uid)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				id   int64
				hash []byte
			)
			if err := rows.Scan(&id, &hash); err != nil {
				rows.Close()
				return err
			}
			live[vulnparts.Hash(hash)] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		added, removed := vulnparts.Changes(incoming, live)
		if err := recordStatus(ctx, tx, updater, fingerprint, nil); err != nil {
			return err
		}
		if len(added) == 0 && len(removed) == 0 {
			return nil
		}
		o := loupe.UpdateOperation{
			Ref: uuid.NewString(), Updater: updater, Fingerprint: fingerprint,
			Date: time.Now().UTC().Truncate(time.Microsecond), Kind: loupe.VulnerabilityUpdate,
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO update_operation (ref, updater, fingerprint, date, kind) VALUES (?, ?, ?, ?, ?)`,
			o.Ref, o.Updater, o.Fingerprint, o.Date.Format(time.RFC3339Nano), o.Kind)
		if err != nil {
			return err
		}
		opID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		ids, err := insertVulns(ctx, tx, added)
		if err != nil {
			return err
		}
		if err := insertRowsFunc(ctx, tx, "vuln_span", []string{"updater", "vuln", "added"}, len(added), func(i int) []any {
			return []any{uid, ids[added[i].Hash], opID}
		}); err != nil {
			return err
		}
		endSpan, err := tx.PrepareContext(ctx, `UPDATE vuln_span SET removed = ? WHERE updater = ? AND vuln = ? AND removed IS NULL`)
		if err != nil {
			return err
		}
		defer endSpan.Close()
		for _, id := range removed {
			if _, err := endSpan.ExecContext(ctx, opID, uid, id); err != nil {
				return err
			}
		}
		op = &o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: updating %s: %w", updater, err)
	}
	return op, nil
}

// updaterID returns the number of the updater named name, numbering it
// if it is new.
func updaterID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO updater (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name).Scan(&id)
	return id, err
}

// insertVulns stores the vulnerabilities that are not stored yet, and
// their shared parts, and returns the id of every one. It runs inside the
// write transaction, so it can number new rows itself and insert them in
// multi-row statements: far fewer statements than one per row.
func insertVulns(ctx context.Context, tx *sql.Tx, parts []*vulnparts.Parts) (map[vulnparts.Hash]int64, error) {
	hashes := func(get func(*vulnparts.Parts) (vulnparts.Hash, bool)) []vulnparts.Hash {
		seen := make(map[vulnparts.Hash]bool)
		var out []vulnparts.Hash
		for _, p := range parts {
			if h, ok := get(p); ok && !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
		return out
	}
	ids, err := lookupIDs(ctx, tx, "vuln", hashes(func(p *vulnparts.Parts) (vulnparts.Hash, bool) { return p.Hash, true }))
	if err != nil {
		return nil, err
	}
	var fresh []*vulnparts.Parts
	for _, p := range parts {
		if _, ok := ids[p.Hash]; !ok {
			fresh = append(fresh, p)
			ids[p.Hash] = 0 // claimed: a duplicate in parts is inserted once
		}
	}
	if len(fresh) == 0 {
		return ids, nil
	}
	parts = fresh

	// The shared parts first: advisories, distributions, repositories.
	type table struct {
		name string
		cols []string
		hash func(*vulnparts.Parts) (vulnparts.Hash, bool)
		row  func(*vulnparts.Parts) []any
	}
	var partIDs = make(map[vulnparts.Hash]int64)
	for _, tb := range []table{
		{"advisory", []string{"updater", "name", "description", "issued", "links", "severity", "normalized_severity"},
			func(p *vulnparts.Parts) (vulnparts.Hash, bool) { return p.AdvisoryHash, true },
			func(p *vulnparts.Parts) []any {
				a := &p.Advisory
				return []any{a.Updater, a.Name, a.Description, a.Issued.Format(time.RFC3339Nano), a.Links, a.Severity, int(a.NormalizedSeverity)}
			}},
		{"dist", []string{"data"},
			func(p *vulnparts.Parts) (vulnparts.Hash, bool) { return p.DistHash, p.Dist != nil },
			func(p *vulnparts.Parts) []any { return []any{string(p.Dist)} }},
		{"repo", []string{"data"},
			func(p *vulnparts.Parts) (vulnparts.Hash, bool) { return p.RepoHash, p.Repo != nil },
			func(p *vulnparts.Parts) []any { return []any{string(p.Repo)} }},
	} {
		known, err := lookupIDs(ctx, tx, tb.name, hashes(tb.hash))
		if err != nil {
			return nil, err
		}
		next, err := nextID(ctx, tx, tb.name)
		if err != nil {
			return nil, err
		}
		var rows [][]any
		for _, p := range parts {
			h, ok := tb.hash(p)
			if !ok {
				continue
			}
			if _, ok := known[h]; ok {
				continue
			}
			known[h] = next
			rows = append(rows, append([]any{next, h[:]}, tb.row(p)...))
			next++
		}
		if err := insertRows(ctx, tx, tb.name, append([]string{"id", "hash"}, tb.cols...), rows); err != nil {
			return nil, err
		}
		for h, id := range known {
			partIDs[h] = id
		}
	}

	next, err := nextID(ctx, tx, "vuln")
	if err != nil {
		return nil, err
	}
	for i, p := range parts {
		ids[p.Hash] = next + int64(i)
	}
	// A row per vulnerability, made as the statements need them rather
	// than all held at once: an update can bring hundreds of thousands.
	row := func(i int) []any {
		p := parts[i]
		var dist, repo [2]any
		if p.Dist != nil {
			dist[0] = partIDs[p.DistHash]
		}
		if p.Repo != nil {
			repo[0] = partIDs[p.RepoHash]
		}
		var pk [7]any
		if x := p.Package; x != nil {
			pk = [7]any{x.Name, x.Version, x.Kind, x.Module, x.Arch, x.CPE, nil}
			if x.Extra != nil {
				pk[6] = string(x.Extra)
			}
		}
		return []any{next + int64(i), p.Hash[:], partIDs[p.AdvisoryHash], pk[0], pk[1], pk[2], pk[3], pk[4], pk[5], pk[6],
			dist[0], repo[0], p.FixedInVersion, p.RangeLower, p.RangeUpper, int(p.ArchOp)}
	}
	cols := []string{"id", "hash", "advisory", "package_name", "package_version", "package_kind", "package_module", "package_arch",
		"package_cpe", "package_extra", "dist", "repo", "fixed_in_version", "range_lower", "range_upper", "arch_op"}
	if err := insertRowsFunc(ctx, tx, "vuln", cols, len(parts), row); err != nil {
		return nil, err
	}
	return ids, nil
}

// lookupIDs returns the ids of the rows of table that have the hashes.
func lookupIDs(ctx context.Context, tx *sql.Tx, table string, hashes []vulnparts.Hash) (map[vulnparts.Hash]int64, error) {
	out := make(map[vulnparts.Hash]int64, len(hashes))
	const chunk = 500
	for len(hashes) > 0 {
		n := min(chunk, len(hashes))
		args := make([]any, n)
		for i, h := range hashes[:n] {
			args[i] = h[:]
		}
		hashes = hashes[n:]
		rows, err := tx.QueryContext(ctx, `SELECT id, hash FROM `+table+` WHERE hash IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var (
				id int64
				h  []byte
			)
			if err := rows.Scan(&id, &h); err != nil {
				rows.Close()
				return nil, err
			}
			out[vulnparts.Hash(h)] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nextID returns the next free id of table; valid inside the write
// transaction only.
func nextID(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	var max sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM `+table).Scan(&max)
	return max.Int64 + 1, err
}

// insertRows inserts rows into table with multi-row INSERT statements.
func insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) error {
	return insertRowsFunc(ctx, tx, table, cols, len(rows), func(i int) []any { return rows[i] })
}

// insertRowsFunc is insertRows for n rows made by row, each once, in
// order, as the statements need them.
func insertRowsFunc(ctx context.Context, tx *sql.Tx, table string, cols []string, n int, row func(int) []any) error {
	per := max(1, 30000/len(cols))
	per = min(per, 500)
	tuple := "(" + placeholders(len(cols)) + ")"
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	var stmt *sql.Stmt
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	args := make([]any, 0, min(per, n)*len(cols))
	for done := 0; done < n; {
		k := min(per, n-done)
		args = args[:0]
		for i := done; i < done+k; i++ {
			args = append(args, row(i)...)
		}
		if k == per && stmt == nil {
			var err error
			if stmt, err = tx.PrepareContext(ctx, head+strings.TrimSuffix(strings.Repeat(tuple+", ", k), ", ")); err != nil {
				return err
			}
		}
		var err error
		if k == per {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, head+strings.TrimSuffix(strings.Repeat(tuple+", ", k), ", "), args...)
		}
		if err != nil {
			return fmt.Errorf("inserting into %s: %w", table, err)
		}
		done += k
	}
	return nil
}

func recordStatus(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, updater, fingerprint string, failure error) error {
	ts := now()
	if failure != nil {
		const upsert = `INSERT INTO updater_status (updater, last_attempt, last_error) VALUES (?, ?, ?)
			ON CONFLICT (updater) DO UPDATE SET last_attempt = excluded.last_attempt, last_error = excluded.last_error`
		_, err := q.ExecContext(ctx, upsert, updater, ts, failure.Error())
		return err
	}
	const upsert = `INSERT INTO updater_status (updater, last_attempt, last_success, last_error, fingerprint) VALUES (?, ?, ?, NULL, ?)
		ON CONFLICT (updater) DO UPDATE SET last_attempt = excluded.last_attempt, last_success = excluded.last_success,
			last_error = NULL, fingerprint = excluded.fingerprint`
	_, err := q.ExecContext(ctx, upsert, updater, ts, ts, fingerprint)
	return err
}

// RecordAttempt records an updater run that landed nothing: err is why
// it failed, or nil for a run that found the feed unchanged.
func (s *MatcherStore) RecordAttempt(ctx context.Context, updater string, failure error) error {
	if failure == nil {
		_, err := s.db.ExecContext(ctx, `UPDATE updater_status SET last_attempt = ?, last_success = ?, last_error = NULL WHERE updater = ?`, now(), now(), updater)
		return err
	}
	return recordStatus(ctx, s.db, updater, "", failure)
}

// Fingerprint returns the fingerprint of the updater's last successful
// run, or "".
func (s *MatcherStore) Fingerprint(ctx context.Context, updater string) (string, error) {
	var fp sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT fingerprint FROM updater_status WHERE updater = ?`, updater).Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return fp.String, err
}

// Vulnerabilities returns every live vulnerability.
func (s *MatcherStore) Vulnerabilities(ctx context.Context) ([]*loupe.Vulnerability, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM vuln_span WHERE removed IS NULL`).Scan(&n); err != nil {
		return nil, err
	}
	out := make([]*loupe.Vulnerability, 0, n)
	err = queryVulns(ctx, tx, func(v *loupe.Vulnerability) { out = append(out, v) },
		`vuln_span s JOIN vuln v ON v.id = s.vuln`, `s.removed IS NULL ORDER BY v.id`)
	return out, err
}

// vulnColumns are what queryVulns reads, from vuln v and advisory a.
const vulnColumns = `SELECT v.id, v.package_name, v.package_version, v.package_kind, v.package_module, v.package_arch, v.package_cpe,
	v.package_extra, v.dist, v.repo, v.fixed_in_version, v.range_lower, v.range_upper, v.arch_op,
	a.id, a.updater, a.name, a.description, a.issued, a.links, a.severity, a.normalized_severity `

// queryVulns runs "SELECT <vulnColumns> FROM <from> JOIN advisory a …
// WHERE <where>" and calls each with every vulnerability. Advisories,
// distributions and repositories are decoded once and shared.
func queryVulns(ctx context.Context, q querier, each func(*loupe.Vulnerability), from, where string, args ...any) error {
	dists, err := loadParts(ctx, q, `SELECT id, data FROM dist`, vulnparts.DecodeDist)
	if err != nil {
		return err
	}
	repos, err := loadParts(ctx, q, `SELECT id, data FROM repo`, vulnparts.DecodeRepo)
	if err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, vulnColumns+`FROM `+from+` JOIN advisory a ON a.id = v.advisory WHERE `+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	advisories := make(map[int64]*vulnparts.Advisory)
	for rows.Next() {
		var (
			r                                        vulnparts.Row
			name, version, kind, module, arch, cpe   sql.NullString
			extra, lower, upper                      sql.NullString
			dist, repo                               sql.NullInt64
			archOp, advID, sev                       int64
			updater, vname, desc, issued, links, svr sql.RawBytes
		)
		if err := rows.Scan(&r.ID, &name, &version, &kind, &module, &arch, &cpe, &extra, &dist, &repo, &r.FixedInVersion,
			&lower, &upper, &archOp, &advID, &updater, &vname, &desc, &issued, &links, &svr, &sev); err != nil {
			return err
		}
		a, ok := advisories[advID]
		if !ok {
			t, err := time.Parse(time.RFC3339Nano, string(issued))
			if err != nil {
				return fmt.Errorf("advisory %d: %w", advID, err)
			}
			a = &vulnparts.Advisory{Updater: string(updater), Name: string(vname), Description: string(desc), Issued: t,
				Links: string(links), Severity: string(svr), NormalizedSeverity: loupe.Severity(sev)}
			advisories[advID] = a
		}
		r.Advisory = a
		if name.Valid {
			r.Package = &vulnparts.Package{Name: name.String, Version: version.String, Kind: kind.String, Module: module.String, Arch: arch.String, CPE: cpe.String}
			if extra.Valid {
				r.Package.Extra = []byte(extra.String)
			}
		}
		if lower.Valid {
			r.RangeLower = &lower.String
		}
		if upper.Valid {
			r.RangeUpper = &upper.String
		}
		r.Dist, r.Repo, r.ArchOp = dists[dist.Int64], repos[repo.Int64], loupe.ArchOp(archOp)
		v, err := vulnparts.Join(&r)
		if err != nil {
			return err
		}
		each(v)
	}
	return rows.Err()
}

// loadParts decodes a whole table of shared parts (there are few).
func loadParts[T any](ctx context.Context, q querier, query string, decode func([]byte) (*T, error)) (map[int64]*T, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]*T)
	for rows.Next() {
		var (
			id   int64
			data []byte
		)
		if err := rows.Scan(&id, &data); err != nil {
			return nil, err
		}
		if out[id], err = decode(data); err != nil {
			return nil, fmt.Errorf("stored part %d: %w", id, err)
		}
	}
	return out, rows.Err()
}

// DataVersion identifies the live data: it changes whenever an update
// operation lands or is deleted.
func (s *MatcherStore) DataVersion(ctx context.Context) (string, error) {
	var (
		maxID sql.NullInt64
		n     int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT MAX(id), COUNT(*) FROM update_operation`).Scan(&maxID, &n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%d", maxID.Int64, n), nil
}

// Initialized reports whether any update operation has ever landed.
func (s *MatcherStore) Initialized(ctx context.Context) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM update_operation)`).Scan(&ok)
	return ok, err
}

func scanOp(sc interface{ Scan(...any) error }) (id int64, op loupe.UpdateOperation, err error) {
	var date string
	if err = sc.Scan(&id, &op.Ref, &op.Updater, &op.Fingerprint, &date, &op.Kind); err != nil {
		return 0, op, err
	}
	op.Date, err = time.Parse(time.RFC3339Nano, date)
	return id, op, err
}

// UpdateOperations returns the update operations of kind by updater,
// newest first; with latest, only the newest of each.
func (s *MatcherStore) UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, ref, updater, fingerprint, date, kind FROM update_operation WHERE kind = ? ORDER BY updater, id DESC`, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]loupe.UpdateOperation)
	for rows.Next() {
		_, op, err := scanOp(rows)
		if err != nil {
			return nil, err
		}
		if latest && len(out[op.Updater]) > 0 {
			continue
		}
		out[op.Updater] = append(out[op.Updater], op)
	}
	return out, rows.Err()
}

// LatestRef returns the ref of the newest update operation of kind, or "".
func (s *MatcherStore) LatestRef(ctx context.Context, kind string) (string, error) {
	var ref string
	err := s.db.QueryRowContext(ctx, `SELECT ref FROM update_operation WHERE kind = ? ORDER BY id DESC LIMIT 1`, kind).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return ref, err
}

func (s *MatcherStore) op(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, ref string) (int64, loupe.UpdateOperation, error) {
	id, op, err := scanOp(q.QueryRowContext(ctx, `SELECT id, ref, updater, fingerprint, date, kind FROM update_operation WHERE ref = ?`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, op, fmt.Errorf("%w: %s", ErrUnknownOperation, ref)
	}
	return id, op, err
}

// DeleteUpdateOperations deletes update operations. An updater's live
// data is then that of its newest remaining operation (none if it has
// none left), and its fingerprint that operation's, so that its next run
// fetches again.
func (s *MatcherStore) DeleteUpdateOperations(ctx context.Context, refs ...string) (int, error) {
	n := 0
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		n = 0
		touched := map[string]bool{}
		for _, ref := range refs {
			id, op, err := s.op(ctx, tx, ref)
			if errors.Is(err, ErrUnknownOperation) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM update_operation WHERE id = ?`, id); err != nil {
				return err
			}
			touched[op.Updater] = true
			n++
		}
		for updater := range touched {
			var (
				newest sql.NullInt64
				fp     sql.NullString
			)
			err := tx.QueryRowContext(ctx, `SELECT id, fingerprint FROM update_operation WHERE updater = ? ORDER BY id DESC LIMIT 1`, updater).Scan(&newest, &fp)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			// Undo whatever operations newer than the newest remaining
			// one did.
			uid, err := updaterID(ctx, tx, updater)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_span WHERE updater = ? AND added > ?`, uid, newest.Int64); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE vuln_span SET removed = NULL WHERE updater = ? AND removed > ?`, uid, newest.Int64); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE updater_status SET fingerprint = ? WHERE updater = ?`, fp, updater); err != nil {
				return err
			}
		}
		return deleteOrphans(ctx, tx)
	})
	return n, err
}

// deleteOrphans deletes vulnerabilities no span refers to, then the
// shared parts no vulnerability refers to.
func deleteOrphans(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{
		`DELETE FROM vuln WHERE NOT EXISTS (SELECT 1 FROM vuln_span WHERE vuln = vuln.id)`,
		`DELETE FROM advisory WHERE NOT EXISTS (SELECT 1 FROM vuln WHERE advisory = advisory.id)`,
		`DELETE FROM dist WHERE NOT EXISTS (SELECT 1 FROM vuln WHERE dist = dist.id)`,
		`DELETE FROM repo WHERE NOT EXISTS (SELECT 1 FROM vuln WHERE repo = repo.id)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// UpdateDiff returns the vulnerabilities added and removed between two
// operations of one updater. An empty prev means "nothing": everything in
// cur is added.
func (s *MatcherStore) UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var diff loupe.UpdateDiff
	curID, curOp, err := s.op(ctx, tx, cur)
	if err != nil {
		return nil, err
	}
	diff.Cur = curOp
	var prevID int64 // 0: before every operation
	if prev != "" && prev != uuid.Nil.String() {
		prevID, diff.Prev, err = s.op(ctx, tx, prev)
		if err != nil {
			return nil, err
		}
		if diff.Prev.Updater != curOp.Updater {
			return nil, fmt.Errorf("update operations %s and %s are from different updaters", prev, cur)
		}
	}
	if curOp.Kind != loupe.VulnerabilityUpdate || (prevID != 0 && diff.Prev.Kind != loupe.VulnerabilityUpdate) {
		return nil, errors.New("update diffs are only for vulnerability operations")
	}
	const aliveAt = `EXISTS (SELECT 1 FROM vuln_span s WHERE s.vuln = v.id AND s.updater = ?1 AND s.added <= %s AND (s.removed IS NULL OR s.removed > %s))`
	where := fmt.Sprintf(aliveAt, "?2", "?2") + ` AND NOT ` + fmt.Sprintf(aliveAt, "?3", "?3") + ` ORDER BY v.id`
	var uid int64 // 0, no spans, if the updater was never numbered
	if err := tx.QueryRowContext(ctx, `SELECT id FROM updater WHERE name = ?`, curOp.Updater).Scan(&uid); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	collect := func(in, notIn int64) ([]loupe.Vulnerability, error) {
		var out []loupe.Vulnerability
		err := queryVulns(ctx, tx, func(v *loupe.Vulnerability) { out = append(out, *v) }, `vuln v`, where, uid, in, notIn)
		return out, err
	}
	if diff.Added, err = collect(curID, prevID); err != nil {
		return nil, err
	}
	if diff.Removed, err = collect(prevID, curID); err != nil {
		return nil, err
	}
	return &diff, nil
}

// GC keeps the newest retention update operations of each updater and
// deletes the rest, with every span and vulnerability that only they
// needed. It does all the work in one call, however much there is.
func (s *MatcherStore) GC(ctx context.Context, retention int) (int, error) {
	if retention < 1 {
		return 0, nil
	}
	deleted := 0
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		deleted = 0
		updaters, err := queryStrings(ctx, tx, `SELECT DISTINCT updater FROM update_operation`)
		if err != nil {
			return err
		}
		for _, u := range updaters {
			var oldestKept sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT MIN(id) FROM (SELECT id FROM update_operation WHERE updater = ? ORDER BY id DESC LIMIT ?)`, u, retention).Scan(&oldestKept)
			if err != nil {
				return err
			}
			if !oldestKept.Valid {
				continue
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM update_operation WHERE updater = ? AND id < ?`, u, oldestKept.Int64)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			deleted += int(n)
			if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_span WHERE updater = (SELECT id FROM updater WHERE name = ?) AND removed IS NOT NULL AND removed <= ?`, u, oldestKept.Int64); err != nil {
				return err
			}
		}
		return deleteOrphans(ctx, tx)
	})
	return deleted, err
}
