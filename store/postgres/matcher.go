package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/store/internal/vulnparts"
)

const matcherSchema = "loupe_matcher"

// MatcherStore is the matcher's PostgreSQL store: vulnerabilities and the
// update operations that landed them.
type MatcherStore struct {
	*db
}

// OpenMatcher connects to the matcher's database; with migrate, it brings
// the loupe_matcher schema up to date first.
func OpenMatcher(ctx context.Context, connstring string, migrate bool) (*MatcherStore, error) {
	d, err := open(ctx, connstring, "matcher", migrate)
	if err != nil {
		return nil, err
	}
	return &MatcherStore{d}, nil
}

// ErrUnknownOperation is returned for an update operation ref that does
// not exist.
var ErrUnknownOperation = errors.New("unknown update operation")

// writeLock is the key of the transaction-scoped advisory lock that keeps
// garbage collection (exclusive) from deleting shared parts an update
// (shared) is about to refer to.
const writeLock = 0x6c6f7570656d // "loupem"

func lockShared(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, int64(writeLock))
	return err
}

func lockExclusive(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(writeLock))
	return err
}

// UpdateVulnerabilities replaces the live data of updater with vulns. If
// that changes anything it lands an update operation and returns it;
// otherwise it returns nil. Either way it records fingerprint as the
// updater's latest. What changed is loaded with COPY.
func (s *MatcherStore) UpdateVulnerabilities(ctx context.Context, updater, fingerprint string, vulns []*loupe.Vulnerability) (*loupe.UpdateOperation, error) {
	incoming, err := vulnparts.SplitAll(updater, vulns)
	if err != nil {
		return nil, err
	}
	var op *loupe.UpdateOperation
	err = s.tx(ctx, func(tx pgx.Tx) error {
		op = nil
		if err := lockShared(ctx, tx); err != nil {
			return err
		}
		uid, err := updaterID(ctx, tx, updater)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT v.id, v.hash FROM loupe_matcher.vuln_span s JOIN loupe_matcher.vuln v ON v.id = s.vuln
			WHERE s.updater = $1 AND s.removed IS NULL`, uid)
		if err != nil {
			return err
		}
		live := make(map[vulnparts.Hash]int64)
		var (
			id   int64
			hash []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &hash}, func() error {
			live[vulnparts.Hash(hash)] = id
			return nil
		})
		if err != nil {
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
		var opID int64
		if err := tx.QueryRow(ctx, `INSERT INTO loupe_matcher.update_operation (ref, updater, fingerprint, date, kind) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			o.Ref, o.Updater, o.Fingerprint, o.Date, o.Kind).Scan(&opID); err != nil {
			return err
		}
		if err := insertVulns(ctx, tx, added); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO loupe_matcher.vuln_span (updater, vuln, added)
			SELECT $1, v.id, $2 FROM tmp_vuln t JOIN loupe_matcher.vuln v ON v.hash = t.hash`, uid, opID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE loupe_matcher.vuln_span SET removed = $1 WHERE updater = $2 AND removed IS NULL AND vuln = ANY($3)`,
			opID, uid, removed); err != nil {
			return err
		}
		op = &o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: updating %s: %w", updater, err)
	}
	return op, nil
}

// updaterID returns the number of the updater named name, numbering it
// if it is new.
func updaterID(ctx context.Context, tx pgx.Tx, name string) (int32, error) {
	var id int32
	err := tx.QueryRow(ctx, `INSERT INTO loupe_matcher.updater (name) VALUES ($1)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name).Scan(&id)
	return id, err
}

// updaterNumber is the subquery that turns an updater's name into its
// number.
const updaterNumber = `(SELECT id FROM loupe_matcher.updater WHERE name = $1)`

// insertVulns copies parts into temporary tables and inserts what is not
// stored yet: shared parts first, then the vulnerabilities. It leaves
// tmp_vuln (dropped at commit) holding the hashes of parts.
func insertVulns(ctx context.Context, tx pgx.Tx, parts []*vulnparts.Parts) error {
	for _, ddl := range []string{
		`CREATE TEMPORARY TABLE tmp_advisory (hash bytea, updater text, name text, description text, issued timestamptz,
			links text, severity text, normalized_severity smallint) ON COMMIT DROP`,
		`CREATE TEMPORARY TABLE tmp_dist (hash bytea, data text) ON COMMIT DROP`,
		`CREATE TEMPORARY TABLE tmp_repo (hash bytea, data text) ON COMMIT DROP`,
		`CREATE TEMPORARY TABLE tmp_vuln (hash bytea, advisory bytea, package_name text, package_version text, package_kind text,
			package_module text, package_arch text, package_cpe text, package_extra text, dist bytea, repo bytea,
			fixed_in_version text, range_lower text, range_upper text, arch_op smallint) ON COMMIT DROP`,
	} {
		if _, err := tx.Exec(ctx, ddl); err != nil {
			return err
		}
	}
	seen := make(map[vulnparts.Hash]bool)
	var advs, dists, repos [][]any
	for _, p := range parts {
		if a := &p.Advisory; !seen[p.AdvisoryHash] {
			seen[p.AdvisoryHash] = true
			advs = append(advs, []any{p.AdvisoryHash[:], a.Updater, a.Name, a.Description, a.Issued, a.Links, a.Severity, int16(a.NormalizedSeverity)})
		}
		var dist, repo []byte
		if p.Dist != nil {
			dist = p.DistHash[:]
			if !seen[p.DistHash] {
				seen[p.DistHash] = true
				dists = append(dists, []any{dist, string(p.Dist)})
			}
		}
		if p.Repo != nil {
			repo = p.RepoHash[:]
			if !seen[p.RepoHash] {
				seen[p.RepoHash] = true
				repos = append(repos, []any{repo, string(p.Repo)})
			}
		}
	}
	// The vulnerabilities themselves are as many as the update's records:
	// their rows are made one at a time as COPY sends them, not all held
	// at once.
	next := 0
	vulnRows := pgx.CopyFromFunc(func() ([]any, error) {
		if next == len(parts) {
			return nil, nil
		}
		p := parts[next]
		next++
		var dist, repo []byte
		if p.Dist != nil {
			dist = p.DistHash[:]
		}
		if p.Repo != nil {
			repo = p.RepoHash[:]
		}
		var pk [7]any
		if x := p.Package; x != nil {
			pk = [7]any{x.Name, x.Version, x.Kind, x.Module, x.Arch, x.CPE, nil}
			if x.Extra != nil {
				pk[6] = string(x.Extra)
			}
		}
		return []any{p.Hash[:], p.AdvisoryHash[:], pk[0], pk[1], pk[2], pk[3], pk[4], pk[5], pk[6],
			dist, repo, p.FixedInVersion, p.RangeLower, p.RangeUpper, int16(p.ArchOp)}, nil
	})
	for _, c := range []struct {
		table string
		cols  []string
		rows  pgx.CopyFromSource
	}{
		{"tmp_advisory", []string{"hash", "updater", "name", "description", "issued", "links", "severity", "normalized_severity"}, pgx.CopyFromRows(advs)},
		{"tmp_dist", []string{"hash", "data"}, pgx.CopyFromRows(dists)},
		{"tmp_repo", []string{"hash", "data"}, pgx.CopyFromRows(repos)},
		{"tmp_vuln", []string{"hash", "advisory", "package_name", "package_version", "package_kind", "package_module", "package_arch",
			"package_cpe", "package_extra", "dist", "repo", "fixed_in_version", "range_lower", "range_upper", "arch_op"}, vulnRows},
	} {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, c.rows); err != nil {
			return fmt.Errorf("copying into %s: %w", c.table, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO loupe_matcher.advisory (hash, updater, name, description, issued, links, severity, normalized_severity)
			SELECT hash, updater, name, description, issued, links, severity, normalized_severity FROM tmp_advisory
			ON CONFLICT (hash) DO NOTHING`,
		`INSERT INTO loupe_matcher.dist (hash, data) SELECT hash, data FROM tmp_dist ON CONFLICT (hash) DO NOTHING`,
		`INSERT INTO loupe_matcher.repo (hash, data) SELECT hash, data FROM tmp_repo ON CONFLICT (hash) DO NOTHING`,
		`INSERT INTO loupe_matcher.vuln (hash, advisory, package_name, package_version, package_kind, package_module, package_arch,
				package_cpe, package_extra, dist, repo, fixed_in_version, range_lower, range_upper, arch_op)
			SELECT t.hash, a.id, t.package_name, t.package_version, t.package_kind, t.package_module, t.package_arch,
				t.package_cpe, t.package_extra, d.id, r.id, t.fixed_in_version, t.range_lower, t.range_upper, t.arch_op
			FROM tmp_vuln t
			JOIN loupe_matcher.advisory a ON a.hash = t.advisory
			LEFT JOIN loupe_matcher.dist d ON d.hash = t.dist
			LEFT JOIN loupe_matcher.repo r ON r.hash = t.repo
			ON CONFLICT (hash) DO NOTHING`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func recordStatus(ctx context.Context, tx pgx.Tx, updater, fingerprint string, failure error) error {
	if failure != nil {
		_, err := tx.Exec(ctx, `INSERT INTO loupe_matcher.updater_status (updater, last_attempt, last_error) VALUES ($1, now(), $2)
			ON CONFLICT (updater) DO UPDATE SET last_attempt = excluded.last_attempt, last_error = excluded.last_error`, updater, failure.Error())
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO loupe_matcher.updater_status (updater, last_attempt, last_success, last_error, fingerprint)
		VALUES ($1, now(), now(), NULL, $2)
		ON CONFLICT (updater) DO UPDATE SET last_attempt = excluded.last_attempt, last_success = excluded.last_success,
			last_error = NULL, fingerprint = excluded.fingerprint`, updater, fingerprint)
	return err
}

// RecordAttempt records an updater run that landed nothing: err is why
// it failed, or nil for a run that found the feed unchanged.
func (s *MatcherStore) RecordAttempt(ctx context.Context, updater string, failure error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if failure == nil {
			_, err := tx.Exec(ctx, `UPDATE loupe_matcher.updater_status SET last_attempt = now(), last_success = now(), last_error = NULL WHERE updater = $1`, updater)
			return err
		}
		return recordStatus(ctx, tx, updater, "", failure)
	})
}

// Fingerprint returns the fingerprint of the updater's last successful
// run, or "".
func (s *MatcherStore) Fingerprint(ctx context.Context, updater string) (string, error) {
	var fp *string
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT fingerprint FROM loupe_matcher.updater_status WHERE updater = $1`, updater).Scan(&fp)
	})
	if errors.Is(err, pgx.ErrNoRows) || fp == nil {
		return "", nil
	}
	return *fp, err
}

// vulnColumns are what scanVulns reads, from vuln v.
const vulnColumns = `SELECT v.id, v.advisory, v.package_name, v.package_version, v.package_kind, v.package_module, v.package_arch,
	v.package_cpe, v.package_extra, v.dist, v.repo, v.fixed_in_version, v.range_lower, v.range_upper, v.arch_op `

// sharedParts are the decoded shared parts, loaded once per read.
type sharedParts struct {
	advisories map[int64]*vulnparts.Advisory
	dists      map[int64]*loupe.Distribution
	repos      map[int64]*loupe.Repository
}

// loadShared loads the shared parts; advisoryWhere limits the advisories
// ("" for all).
func loadShared(ctx context.Context, tx pgx.Tx, advisoryWhere string, args ...any) (*sharedParts, error) {
	sp := &sharedParts{
		advisories: make(map[int64]*vulnparts.Advisory),
		dists:      make(map[int64]*loupe.Distribution),
		repos:      make(map[int64]*loupe.Repository),
	}
	rows, err := tx.Query(ctx, `SELECT a.id, a.updater, a.name, a.description, a.issued, a.links, a.severity, a.normalized_severity
		FROM loupe_matcher.advisory a `+advisoryWhere, args...)
	if err != nil {
		return nil, err
	}
	var (
		id  int64
		a   vulnparts.Advisory
		sev int16
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &a.Updater, &a.Name, &a.Description, &a.Issued, &a.Links, &a.Severity, &sev}, func() error {
		c := a
		c.Issued = c.Issued.UTC()
		c.NormalizedSeverity = loupe.Severity(sev)
		sp.advisories[id] = &c
		return nil
	}); err != nil {
		return nil, err
	}
	for _, t := range []struct {
		query string
		put   func(int64, []byte) error
	}{
		{`SELECT id, data FROM loupe_matcher.dist`, func(id int64, b []byte) error {
			d, err := vulnparts.DecodeDist(b)
			sp.dists[id] = d
			return err
		}},
		{`SELECT id, data FROM loupe_matcher.repo`, func(id int64, b []byte) error {
			r, err := vulnparts.DecodeRepo(b)
			sp.repos[id] = r
			return err
		}},
	} {
		rows, err := tx.Query(ctx, t.query)
		if err != nil {
			return nil, err
		}
		var data []byte
		if _, err := pgx.ForEachRow(rows, []any{&id, &data}, func() error { return t.put(id, data) }); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// scanVulns reads rows of vulnColumns into vulnerabilities.
func scanVulns(rows pgx.Rows, sp *sharedParts, each func(*loupe.Vulnerability)) error {
	var (
		r                                      vulnparts.Row
		adv                                    int64
		name, version, kind, module, arch, cpe *string
		extra                                  *string
		dist, repo                             *int64
		archOp                                 int16
	)
	_, err := pgx.ForEachRow(rows, []any{&r.ID, &adv, &name, &version, &kind, &module, &arch, &cpe, &extra, &dist, &repo,
		&r.FixedInVersion, &r.RangeLower, &r.RangeUpper, &archOp}, func() error {
		row := r
		row.Advisory = sp.advisories[adv]
		if row.Advisory == nil {
			return fmt.Errorf("vulnerability %d: advisory %d missing", r.ID, adv)
		}
		if name != nil {
			row.Package = &vulnparts.Package{Name: *name, Version: deref(version), Kind: deref(kind), Module: deref(module), Arch: deref(arch), CPE: deref(cpe)}
			if extra != nil {
				row.Package.Extra = []byte(*extra)
			}
		}
		if dist != nil {
			row.Dist = sp.dists[*dist]
		}
		if repo != nil {
			row.Repo = sp.repos[*repo]
		}
		row.ArchOp = loupe.ArchOp(archOp)
		v, err := vulnparts.Join(&row)
		if err != nil {
			return err
		}
		each(v)
		return nil
	})
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Vulnerabilities returns every live vulnerability.
func (s *MatcherStore) Vulnerabilities(ctx context.Context) ([]*loupe.Vulnerability, error) {
	var out []*loupe.Vulnerability
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		sp, err := loadShared(ctx, tx, "")
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM loupe_matcher.vuln_span WHERE removed IS NULL`).Scan(&n); err != nil {
			return err
		}
		out = make([]*loupe.Vulnerability, 0, n)
		rows, err := tx.Query(ctx, vulnColumns+`FROM loupe_matcher.vuln_span s JOIN loupe_matcher.vuln v ON v.id = s.vuln
			WHERE s.removed IS NULL ORDER BY v.id`)
		if err != nil {
			return err
		}
		return scanVulns(rows, sp, func(v *loupe.Vulnerability) { out = append(out, v) })
	})
	return out, err
}

// readTx runs f in a read-only, repeatable-read transaction: one
// consistent snapshot.
func (s *MatcherStore) readTx(ctx context.Context, f func(pgx.Tx) error) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	return classify(f(tx))
}

// DataVersion identifies the live data: it changes whenever an update
// operation lands or is deleted.
func (s *MatcherStore) DataVersion(ctx context.Context) (string, error) {
	var maxID, n int64
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0), count(*) FROM loupe_matcher.update_operation`).Scan(&maxID, &n)
	})
	return fmt.Sprintf("%d.%d", maxID, n), err
}

// Initialized reports whether any update operation exists.
func (s *MatcherStore) Initialized(ctx context.Context) (bool, error) {
	var ok bool
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM loupe_matcher.update_operation)`).Scan(&ok)
	})
	return ok, err
}

const opColumns = `SELECT id, ref::text, updater, fingerprint, date, kind FROM loupe_matcher.update_operation `

func scanOp(row pgx.Row) (int64, loupe.UpdateOperation, error) {
	var (
		id int64
		op loupe.UpdateOperation
	)
	err := row.Scan(&id, &op.Ref, &op.Updater, &op.Fingerprint, &op.Date, &op.Kind)
	op.Date = op.Date.UTC()
	return id, op, err
}

// UpdateOperations returns the update operations of kind by updater,
// newest first; with latest, only the newest of each.
func (s *MatcherStore) UpdateOperations(ctx context.Context, kind string, latest bool) (map[string][]loupe.UpdateOperation, error) {
	out := make(map[string][]loupe.UpdateOperation)
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, opColumns+`WHERE kind = $1 ORDER BY updater, id DESC`, kind)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			_, op, err := scanOp(rows)
			if err != nil {
				return err
			}
			if latest && len(out[op.Updater]) > 0 {
				continue
			}
			out[op.Updater] = append(out[op.Updater], op)
		}
		return rows.Err()
	})
	return out, err
}

// LatestRef returns the ref of the newest update operation of kind, or "".
func (s *MatcherStore) LatestRef(ctx context.Context, kind string) (string, error) {
	var ref string
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT ref::text FROM loupe_matcher.update_operation WHERE kind = $1 ORDER BY id DESC LIMIT 1`, kind).Scan(&ref)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return ref, err
}

func opByRef(ctx context.Context, tx pgx.Tx, ref string) (int64, loupe.UpdateOperation, error) {
	if _, err := uuid.Parse(ref); err != nil {
		return 0, loupe.UpdateOperation{}, fmt.Errorf("%w: %s", ErrUnknownOperation, ref)
	}
	id, op, err := scanOp(tx.QueryRow(ctx, opColumns+`WHERE ref = $1`, ref))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		if err := lockExclusive(ctx, tx); err != nil {
			return err
		}
		touched := map[string]bool{}
		for _, ref := range refs {
			id, op, err := opByRef(ctx, tx, ref)
			if errors.Is(err, ErrUnknownOperation) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM loupe_matcher.update_operation WHERE id = $1`, id); err != nil {
				return err
			}
			touched[op.Updater] = true
			n++
		}
		for updater := range touched {
			var (
				newest int64
				fp     *string
			)
			err := tx.QueryRow(ctx, `SELECT id, fingerprint FROM loupe_matcher.update_operation WHERE updater = $1 ORDER BY id DESC LIMIT 1`, updater).Scan(&newest, &fp)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			for _, q := range []string{
				`DELETE FROM loupe_matcher.vuln_span WHERE updater = ` + updaterNumber + ` AND added > $2`,
				`UPDATE loupe_matcher.vuln_span SET removed = NULL WHERE updater = ` + updaterNumber + ` AND removed > $2`,
			} {
				if _, err := tx.Exec(ctx, q, updater, newest); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE loupe_matcher.updater_status SET fingerprint = $1 WHERE updater = $2`, fp, updater); err != nil {
				return err
			}
		}
		return deleteOrphans(ctx, tx)
	})
	return n, err
}

// deleteOrphans deletes vulnerabilities no span refers to, then the
// shared parts no vulnerability refers to.
func deleteOrphans(ctx context.Context, tx pgx.Tx) error {
	for _, q := range []string{
		`DELETE FROM loupe_matcher.vuln v WHERE NOT EXISTS (SELECT 1 FROM loupe_matcher.vuln_span s WHERE s.vuln = v.id)`,
		`DELETE FROM loupe_matcher.advisory a WHERE NOT EXISTS (SELECT 1 FROM loupe_matcher.vuln v WHERE v.advisory = a.id)`,
		`DELETE FROM loupe_matcher.dist d WHERE NOT EXISTS (SELECT 1 FROM loupe_matcher.vuln v WHERE v.dist = d.id)`,
		`DELETE FROM loupe_matcher.repo r WHERE NOT EXISTS (SELECT 1 FROM loupe_matcher.vuln v WHERE v.repo = r.id)`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// UpdateDiff returns the vulnerabilities added and removed between two
// operations of one updater. An empty prev means "nothing": everything in
// cur is added.
func (s *MatcherStore) UpdateDiff(ctx context.Context, prev, cur string) (*loupe.UpdateDiff, error) {
	var diff loupe.UpdateDiff
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		curID, curOp, err := opByRef(ctx, tx, cur)
		if err != nil {
			return err
		}
		diff.Cur = curOp
		var prevID int64
		if prev != "" && prev != uuid.Nil.String() {
			if prevID, diff.Prev, err = opByRef(ctx, tx, prev); err != nil {
				return err
			}
			if diff.Prev.Updater != curOp.Updater {
				return fmt.Errorf("update operations %s and %s are from different updaters", prev, cur)
			}
		}
		if curOp.Kind != loupe.VulnerabilityUpdate || (prevID != 0 && diff.Prev.Kind != loupe.VulnerabilityUpdate) {
			return errors.New("update diffs are only for vulnerability operations")
		}
		const aliveAt = `EXISTS (SELECT 1 FROM loupe_matcher.vuln_span s WHERE s.vuln = v.id AND s.updater = ` + updaterNumber + ` AND s.added <= %[1]s AND (s.removed IS NULL OR s.removed > %[1]s))`
		where := fmt.Sprintf(aliveAt, "$2") + ` AND NOT ` + fmt.Sprintf(aliveAt, "$3")
		sp, err := loadShared(ctx, tx, `WHERE a.id IN (SELECT v.advisory FROM loupe_matcher.vuln v WHERE `+
			`(`+fmt.Sprintf(aliveAt, "$2")+`) <> (`+fmt.Sprintf(aliveAt, "$3")+`))`, curOp.Updater, curID, prevID)
		if err != nil {
			return err
		}
		collect := func(in, notIn int64) ([]loupe.Vulnerability, error) {
			rows, err := tx.Query(ctx, vulnColumns+`FROM loupe_matcher.vuln v WHERE `+where+` ORDER BY v.id`, curOp.Updater, in, notIn)
			if err != nil {
				return nil, err
			}
			var out []loupe.Vulnerability
			err = scanVulns(rows, sp, func(v *loupe.Vulnerability) { out = append(out, *v) })
			return out, err
		}
		if diff.Added, err = collect(curID, prevID); err != nil {
			return err
		}
		diff.Removed, err = collect(prevID, curID)
		return err
	})
	if err != nil {
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
	var deleted int
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockExclusive(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `WITH ranked AS (
				SELECT id, updater, row_number() OVER (PARTITION BY updater ORDER BY id DESC) AS n
				FROM loupe_matcher.update_operation
			), oldest_kept AS (
				SELECT updater, min(id) AS id FROM ranked WHERE n <= $1 GROUP BY updater
			), gone AS (
				DELETE FROM loupe_matcher.update_operation o USING ranked r
				WHERE o.id = r.id AND r.n > $1 RETURNING o.id
			), spans AS (
				DELETE FROM loupe_matcher.vuln_span s USING oldest_kept k, loupe_matcher.updater u
				WHERE u.name = k.updater AND s.updater = u.id AND s.removed IS NOT NULL AND s.removed <= k.id
			)
			SELECT count(*) FROM gone`, retention)
		if err != nil {
			return err
		}
		counts, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		deleted = counts[0]
		return deleteOrphans(ctx, tx)
	})
	return deleted, err
}

// Acquire implements store.Leaser.
func (s *MatcherStore) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	return s.acquireLease(ctx, matcherSchema, key, owner, ttl)
}

// Release implements store.Leaser.
func (s *MatcherStore) Release(ctx context.Context, key, owner string) error {
	return s.releaseLease(ctx, matcherSchema, key, owner)
}
