package rhel

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/loupe-dev/loupe"
)

// RepositoryKey marks the repositories of Red Hat content: the records
// of an index report and the products of vulnerabilities, as in Clair.
const RepositoryKey = "rhel-cpe-repository"

// Repository returns the repository Loupe reports for a Red Hat content
// set (a repository ID such as "rhel-9-for-x86_64-baseos-rpms") and one
// of the CPEs it maps to, shaped as Clair shapes it: the name and CPE are
// the CPE's formatted string and the URI is "repoid=<id>". An empty cpe
// gives the repository of a content set whose product is not known
// offline; the matcher resolves it when it has Red Hat's mapping.
func Repository(repoID, cpe string) *loupe.Repository {
	return &loupe.Repository{
		Name: cpe,
		Key:  RepositoryKey,
		URI:  url.Values{"repoid": {repoID}}.Encode(),
		CPE:  cpe,
	}
}

// repoIDOf returns the repository ID in a repository's URI, "" if none.
func repoIDOf(r *loupe.Repository) string {
	s, ok := strings.CutPrefix(r.URI, "repoid=")
	if !ok || strings.Contains(s, "&") {
		v, err := url.ParseQuery(r.URI)
		if err != nil {
			return ""
		}
		return v.Get("repoid")
	}
	if strings.ContainsAny(s, "%+") {
		if u, err := url.QueryUnescape(s); err == nil {
			return u
		}
	}
	return s
}

// The products of Red Hat's standard repositories follow from their IDs.
// The rules below cover RHEL 6 to 10 and UBI content sets, and OpenShift's;
// other content sets need Red Hat's repository-to-CPE mapping (Repo2CPE).
var (
	// rhel-9-for-x86_64-baseos-rpms, rhel-8-for-aarch64-appstream-eus-rpms__8_DOT_6, …
	rhelRepo = regexp.MustCompile(`^rhel-(\d+)-for-[a-z0-9_]+-(baseos|appstream|supplementary|highavailability|resilientstorage|nfv|rt)(?:-(eus|e4s|aus|tus))?-(?:rpms|debug-rpms|source-rpms)(?:__(\d+)_DOT_(\d+))?$`)
	// codeready-builder-for-rhel-9-x86_64-rpms, codeready-builder-for-rhel-9-x86_64-eus-rpms__9_DOT_2, …
	crbRepo = regexp.MustCompile(`^codeready-builder-for-rhel-(\d+)-[a-z0-9_]+(?:-(eus|e4s|aus|tus))?-(?:rpms|debug-rpms|source-rpms)(?:__(\d+)_DOT_(\d+))?$`)
	// rhel-7-server-rpms, rhel-7-server-optional-rpms, …
	serverRepo = regexp.MustCompile(`^rhel-([5-7])-server-(?:optional-)?(?:rpms|debug-rpms|source-rpms)$`)
	// rhel-7-server-els-rpms, rhel-6-server-els-optional-rpms (extended life cycle support)
	elsRepo = regexp.MustCompile(`^rhel-([5-7])-server-els(?:-optional)?-(?:rpms|debug-rpms|source-rpms)$`)
	// ubi-9-baseos-rpms, ubi-8-appstream-source, ubi-9-codeready-builder-rpms, …
	ubiRepo = regexp.MustCompile(`^ubi-(\d+)-(baseos|appstream|codeready-builder)(?:-debug|-source)?(?:-rpms)?$`)
	// ubi-7, ubi-7-optional, ubi-7-server-rpms, …
	ubi7Repo = regexp.MustCompile(`^ubi-7(?:-server)?(?:-optional)?(?:-rpms|-debug-rpms|-source-rpms)?$`)
	// rhocp-4.14-for-rhel-9-x86_64-rpms
	ocpRepo = regexp.MustCompile(`^rhocp-(\d+\.\d+)-for-rhel-(\d+)-[a-z0-9_]+-(?:rpms|debug-rpms|source-rpms)$`)
)

// editions maps a repository's variant to its CPE part and edition.
var editions = map[string][2]string{
	"baseos":            {"o", "baseos"},
	"appstream":         {"a", "appstream"},
	"supplementary":     {"a", "supplementary"},
	"highavailability":  {"a", "highavailability"},
	"resilientstorage":  {"a", "resilientstorage"},
	"nfv":               {"a", "nfv"},
	"rt":                {"a", "realtime"},
	"crb":               {"a", "crb"},
	"codeready-builder": {"a", "crb"},
}

// DeriveCPEs returns the CPEs (formatted strings) of a standard Red Hat
// repository, from its ID alone, or nil for a repository it does not
// know. An extended-support repository names its minor release
// ("…-eus-rpms__9_DOT_2" → cpe:/a:redhat:rhel_eus:9.2::appstream); one
// that does not is not known.
func DeriveCPEs(repoID string) []string {
	mk := func(stream, version, variant string) []string {
		e, ok := editions[variant]
		if !ok {
			return nil
		}
		return []string{"cpe:2.3:" + e[0] + ":redhat:" + stream + ":" + version + ":*:" + e[1] + ":*:*:*:*:*"}
	}
	stream := func(major, kind, minMajor, minMinor string) (string, string) {
		if kind == "" {
			return "enterprise_linux", major
		}
		if minMajor == "" || minMajor != major {
			return "", ""
		}
		return "rhel_" + kind, major + "." + minMinor
	}
	if m := rhelRepo.FindStringSubmatch(repoID); m != nil {
		s, v := stream(m[1], m[3], m[4], m[5])
		if s == "" {
			return nil
		}
		return mk(s, v, m[2])
	}
	if m := crbRepo.FindStringSubmatch(repoID); m != nil {
		s, v := stream(m[1], m[2], m[3], m[4])
		if s == "" {
			return nil
		}
		return mk(s, v, "crb")
	}
	if m := serverRepo.FindStringSubmatch(repoID); m != nil {
		return []string{serverCPE(m[1])}
	}
	if m := elsRepo.FindStringSubmatch(repoID); m != nil {
		return []string{"cpe:2.3:o:redhat:rhel_els:" + m[1] + ":*:*:*:*:*:*:*"}
	}
	if m := ubiRepo.FindStringSubmatch(repoID); m != nil {
		return mk("enterprise_linux", m[1], m[2])
	}
	if ubi7Repo.MatchString(repoID) {
		return []string{serverCPE("7")}
	}
	if m := ocpRepo.FindStringSubmatch(repoID); m != nil {
		return []string{"cpe:2.3:a:redhat:openshift:" + m[1] + ":*:el" + m[2] + ":*:*:*:*:*"}
	}
	return nil
}

func serverCPE(major string) string {
	return "cpe:2.3:o:redhat:enterprise_linux:" + major + ":*:server:*:*:*:*:*"
}

// mainlineCPEs returns the CPEs an RHEL-like package of a major release
// is assumed to come from when its image does not say (no content
// manifest, as in CentOS images): the release's main repositories.
func mainlineCPEs(major string) []string {
	if v, ok := mainline.Load(major); ok {
		return v.([]string)
	}
	var cpes []string
	switch major {
	case "":
		return nil
	case "5", "6", "7":
		cpes = []string{serverCPE(major)}
	default:
		for _, v := range []string{"baseos", "appstream", "crb"} {
			e := editions[v]
			cpes = append(cpes, "cpe:2.3:"+e[0]+":redhat:enterprise_linux:"+major+":*:"+e[1]+":*:*:*:*:*")
		}
	}
	if len(major) <= 3 {
		mainline.Store(major, cpes)
	}
	return cpes
}

var mainline sync.Map // major → []string

// derived memoizes DeriveCPEs for the matcher, which asks for the same
// few repositories for every vulnerability of every package. It is
// bounded: IDs beyond the bound are derived on every call.
var derived struct {
	m sync.Map // repo ID → []string
	n atomic.Int64
}

const derivedMax = 4096

func deriveCached(repoID string) []string {
	if v, ok := derived.m.Load(repoID); ok {
		return v.([]string)
	}
	cpes := DeriveCPEs(repoID)
	if derived.n.Load() < derivedMax {
		if _, loaded := derived.m.LoadOrStore(repoID, cpes); !loaded {
			derived.n.Add(1)
		}
	}
	return cpes
}

// repositoriesFor returns the repositories of content sets, sorted and
// without duplicates.
func repositoriesFor(repoIDs []string) []*loupe.Repository {
	var out []*loupe.Repository
	for _, id := range repoIDs {
		cpes := DeriveCPEs(id)
		if len(cpes) == 0 {
			out = append(out, Repository(id, ""))
			continue
		}
		for _, c := range cpes {
			out = append(out, Repository(id, c))
		}
	}
	slices.SortFunc(out, func(a, b *loupe.Repository) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.URI, b.URI)
	})
	return slices.CompactFunc(out, func(a, b *loupe.Repository) bool { return *a == *b })
}
