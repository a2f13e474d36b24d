package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/api"
	"github.com/loupe-dev/loupe/store"
)

const (
	notificationPath = "/notifier/api/v1/notification"
	// setA and setB are notification set IDs the fake knows; setUnknown
	// is one it does not.
	setA       = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
	setB       = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c"
	setUnknown = "0190a1b2-c3d4-7e5f-8a6b-000000000000"
	nilUUID    = "00000000-0000-0000-0000-000000000000"

	typeNotificationPage = "application/vnd.clair.notification_page.v1+json"
	// pageDefault and pageMax are the handler's default and largest page
	// sizes.
	pageDefault = 500
	pageMax     = 10000
)

// errUnknownSet is what fakeNotifier returns for a set it does not hold
// (or one already acknowledged), as the notifier's stores do.
var errUnknownSet = errors.New("unknown notification set")

func isUnknownSet(err error) bool { return errors.Is(err, errUnknownSet) }

// fakeNotifier is an api.Notifier over in-memory sets, with the stores'
// keyset paging: notification IDs sort as strings in creation order.
type fakeNotifier struct {
	mu    sync.Mutex
	sets  map[string]*fakeSet
	err   error // when set, every call fails with it
	calls []notifCall
	acked []string
}

type fakeSet struct {
	ids    []string
	bodies []json.RawMessage
	acked  bool
}

// notifCall records one Notifications call.
type notifCall struct {
	id, after string
	limit     int
}

var _ api.Notifier = (*fakeNotifier)(nil)

func newFakeNotifier() *fakeNotifier { return &fakeNotifier{sets: map[string]*fakeSet{}} }

// add creates set id with n notifications and returns their IDs and
// bodies.
func (f *fakeNotifier) add(id string, n int) ([]string, []json.RawMessage) {
	s := &fakeSet{}
	for i := range n {
		nid := notificationID(id, i)
		s.ids = append(s.ids, nid)
		s.bodies = append(s.bodies, notificationBody(nid, i))
	}
	f.mu.Lock()
	f.sets[id] = s
	f.mu.Unlock()
	return s.ids, s.bodies
}

func (f *fakeNotifier) Notifications(_ context.Context, id, after string, limit int) ([]json.RawMessage, []string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, notifCall{id, after, limit})
	if f.err != nil {
		return nil, nil, f.err
	}
	s, ok := f.sets[id]
	if !ok || s.acked {
		return nil, nil, fmt.Errorf("%w: %s", errUnknownSet, id)
	}
	if limit <= 0 {
		return nil, nil, fmt.Errorf("fake: bad limit %d", limit)
	}
	var (
		bodies []json.RawMessage
		ids    []string
	)
	for i, nid := range s.ids {
		if nid > after && len(ids) < limit {
			bodies, ids = append(bodies, s.bodies[i]), append(ids, nid)
		}
	}
	return bodies, ids, nil
}

func (f *fakeNotifier) Ack(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	s, ok := f.sets[id]
	if !ok || s.acked {
		return fmt.Errorf("%w: %s", errUnknownSet, id)
	}
	s.acked = true
	f.acked = append(f.acked, id)
	return nil
}

// seen returns the calls made so far and forgets them.
func (f *fakeNotifier) seen() ([]notifCall, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, a := f.calls, f.acked
	f.calls, f.acked = nil, nil
	return c, a
}

// notificationID is the i-th notification ID of a set: UUIDv7-shaped,
// canonical lower-case, and sorting as strings in i order.
func notificationID(set string, i int) string {
	ms := int64(0x0190_a1b2_0000) + int64(i)
	salt := 0
	if set == setB {
		salt = 1
	}
	return fmt.Sprintf("%08x-%04x-7%03x-8%03x-%012x", ms>>16, ms&0xffff, salt, i%0x1000, i)
}

// notificationBody is a Clair Notification for ID nid.
func notificationBody(nid string, i int) json.RawMessage {
	reason := "added"
	if i%3 == 2 {
		reason = "removed"
	}
	return json.RawMessage(fmt.Sprintf(`{"id":%q,"manifest":%q,"reason":%q,"vulnerability":`+
		`{"name":"CVE-2024-%04d","description":"bad <things> & more","package":{"id":"","name":"openssl","version":"","kind":"binary"},`+
		`"severity":"High","fixed_in_version":"3.0.2-0ubuntu1.%d","links":"https://ubuntu.com/security/CVE-2024-%04d"}}`,
		nid, digestA.String(), reason, i, i, i))
}

func notifierServer(t *testing.T, n api.Notifier, opts api.NotifierOptions) *testServer {
	t.Helper()
	return newServer(t, api.Routes{Notifier: api.NotifierHandler(n, opts)})
}

// notificationURL is the path of set id with query key/value pairs.
func notificationURL(id string, kv ...string) string {
	p := notificationPath + "/" + id
	if len(kv) == 0 {
		return p
	}
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return p + "?" + q.Encode()
}

// page is a decoded notification page.
type page struct {
	Size int     `json:"size"`
	Next *string `json:"next"`
}

type notificationPage struct {
	Page          page
	Notifications []json.RawMessage
}

// checkPage checks a 200 notification page strictly — Content-Type ct,
// exactly the keys "page" (with "size" and, only when more remain,
// "next") and "notifications" (an array, never null) — and decodes it.
func checkPage(t *testing.T, r response, ct string) notificationPage {
	t.Helper()
	checkStatus(t, r, http.StatusOK)
	checkHeader(t, r, "Content-Type", ct)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &top); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if got, want := slices.Sorted(maps.Keys(top)), []string{"notifications", "page"}; !slices.Equal(got, want) {
		t.Errorf("top-level keys: got %q, want %q", got, want)
	}
	var pg map[string]json.RawMessage
	if err := json.Unmarshal(top["page"], &pg); err != nil {
		t.Fatalf("page %s: %v", top["page"], err)
	}
	for k := range pg {
		if k != "size" && k != "next" {
			t.Errorf("page: unexpected key %q in %s", k, top["page"])
		}
	}
	if v, ok := pg["next"]; ok && string(v) == "null" {
		t.Errorf("page.next: got null, want it omitted")
	}
	if n := strings.TrimSpace(string(top["notifications"])); !strings.HasPrefix(n, "[") {
		t.Errorf("notifications: got %s, want a JSON array", n)
	}
	var p notificationPage
	if err := json.Unmarshal(top["page"], &p.Page); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(top["notifications"], &p.Notifications); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkNotifications compares notification bodies as JSON values.
func checkNotifications(t *testing.T, want, got []json.RawMessage) {
	t.Helper()
	dec := func(ms []json.RawMessage) []any {
		out := make([]any, 0, len(ms))
		for _, m := range ms {
			var v any
			if err := json.Unmarshal(m, &v); err != nil {
				t.Fatalf("notification %s: %v", m, err)
			}
			out = append(out, v)
		}
		return out
	}
	if len(want) != len(got) {
		t.Errorf("notifications: got %d, want %d", len(got), len(want))
	}
	if diff := cmp.Diff(dec(want), dec(got)); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
}

func ptr(s string) *string { return &s }

func notifOpts() api.NotifierOptions { return api.NotifierOptions{IsNotFound: isUnknownSet} }

// TestNotificationDefaultPaging: without page_size a page holds 500;
// following next walks the whole set, each notification once, in order.
func TestNotificationDefaultPaging(t *testing.T) {
	const total = 1234
	f := newFakeNotifier()
	ids, bodies := f.add(setA, total)
	f.add(setB, 3)
	srv := notifierServer(t, f, notifOpts())

	var (
		got   []json.RawMessage
		pages []page
		calls []notifCall
	)
	next := ""
	for range total {
		path := notificationURL(setA)
		if next != "" {
			path = notificationURL(setA, "next", next)
		}
		p := checkPage(t, srv.do(t, http.MethodGet, path, ""), typeNotificationPage)
		c, _ := f.seen()
		calls = append(calls, c...)
		pages = append(pages, p.Page)
		got = append(got, p.Notifications...)
		if p.Page.Next == nil {
			break
		}
		next = *p.Page.Next
	}
	wantPages := []page{
		{Size: pageDefault, Next: ptr(ids[499])},
		{Size: pageDefault, Next: ptr(ids[999])},
		{Size: pageDefault},
	}
	if diff := cmp.Diff(wantPages, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	wantCalls := []notifCall{
		{setA, "", pageDefault + 1},
		{setA, ids[499], pageDefault + 1},
		{setA, ids[999], pageDefault + 1},
	}
	if diff := cmp.Diff(wantCalls, calls, cmp.AllowUnexported(notifCall{})); diff != "" {
		t.Errorf("store calls (-want +got):\n%s", diff)
	}
	checkNotifications(t, bodies, got)
	// Exactly once, in order, by the notifications' own IDs.
	var gotIDs []string
	for _, b := range got {
		var n struct{ ID string }
		if err := json.Unmarshal(b, &n); err != nil {
			t.Fatal(err)
		}
		gotIDs = append(gotIDs, n.ID)
	}
	if diff := cmp.Diff(ids, gotIDs); diff != "" {
		t.Errorf("notification IDs over all pages (-want +got):\n%s", diff)
	}
}

// TestNotificationPageSize: page.size echoes the size used (not the
// count); next is the last returned ID while more remain and is omitted
// on the last page, also when that page is exactly full.
func TestNotificationPageSize(t *testing.T) {
	f := newFakeNotifier()
	ids, bodies := f.add(setA, 10)
	srv := notifierServer(t, f, notifOpts())
	tests := []struct {
		name      string
		query     []string
		wantPage  page
		from, to  int // the notifications returned: bodies[from:to]
		wantAfter string
		wantLimit int
	}{
		{"One", []string{"page_size", "1"}, page{1, ptr(ids[0])}, 0, 1, "", 2},
		{"Three", []string{"page_size", "3"}, page{3, ptr(ids[2])}, 0, 3, "", 4},
		{"ThreeFromSecondPage", []string{"page_size", "3", "next", ids[2]}, page{3, ptr(ids[5])}, 3, 6, ids[2], 4},
		{"LastPartial", []string{"page_size", "3", "next", ids[8]}, page{Size: 3}, 9, 10, ids[8], 4},
		{"ExactlyAll", []string{"page_size", "10"}, page{Size: 10}, 0, 10, "", 11},
		{"LastExactlyFull", []string{"page_size", "5", "next", ids[4]}, page{Size: 5}, 5, 10, ids[4], 6},
		{"AllButOne", []string{"page_size", "9"}, page{9, ptr(ids[8])}, 0, 9, "", 10},
		{"SizeAboveCount", []string{"page_size", "50"}, page{Size: 50}, 0, 10, "", 51},
		{"ZeroIsDefault", []string{"page_size", "0"}, page{Size: pageDefault}, 0, 10, "", pageDefault + 1},
		{"EmptyIsDefault", []string{"page_size", ""}, page{Size: pageDefault}, 0, 10, "", pageDefault + 1},
		{"Plus", []string{"page_size", "+2"}, page{2, ptr(ids[1])}, 0, 2, "", 3},
		{"Max", []string{"page_size", "10000"}, page{Size: pageMax}, 0, 10, "", pageMax + 1},
		{"AboveMaxClamped", []string{"page_size", "10001"}, page{Size: pageMax}, 0, 10, "", pageMax + 1},
		{"FarAboveMaxClamped", []string{"page_size", "1000000000"}, page{Size: pageMax}, 0, 10, "", pageMax + 1},
		{"NilNextIsFirstPage", []string{"page_size", "2", "next", nilUUID}, page{2, ptr(ids[1])}, 0, 2, "", 3},
		{"EmptyNextIsFirstPage", []string{"page_size", "2", "next", ""}, page{2, ptr(ids[1])}, 0, 2, "", 3},
		{"UpperCaseNext", []string{"page_size", "2", "next", strings.ToUpper(ids[3])}, page{2, ptr(ids[5])}, 4, 6, ids[3], 3},
		{"NextPastTheEnd", []string{"next", "ffffffff-ffff-7fff-8fff-ffffffffffff"}, page{Size: pageDefault}, 10, 10, "ffffffff-ffff-7fff-8fff-ffffffffffff", pageDefault + 1},
		{"NextLast", []string{"page_size", "4", "next", ids[9]}, page{Size: 4}, 10, 10, ids[9], 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := checkPage(t, srv.do(t, http.MethodGet, notificationURL(setA, tc.query...), ""), typeNotificationPage)
			calls, acked := f.seen()
			if diff := cmp.Diff(tc.wantPage, p.Page); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			checkNotifications(t, bodies[tc.from:tc.to], p.Notifications)
			want := []notifCall{{setA, tc.wantAfter, tc.wantLimit}}
			if diff := cmp.Diff(want, calls, cmp.AllowUnexported(notifCall{})); diff != "" {
				t.Errorf("store calls (-want +got):\n%s", diff)
			}
			if len(acked) != 0 {
				t.Errorf("GET acknowledged %q", acked)
			}
		})
	}
}

// TestNotificationPageSizeClamped: with more than the maximum stored, an
// oversized page_size returns the maximum and a next to go on with.
func TestNotificationPageSizeClamped(t *testing.T) {
	const total = pageMax + 5
	f := newFakeNotifier()
	ids, bodies := f.add(setA, total)
	srv := notifierServer(t, f, notifOpts())

	p := checkPage(t, srv.do(t, http.MethodGet, notificationURL(setA, "page_size", "50000"), ""), typeNotificationPage)
	if diff := cmp.Diff(page{pageMax, ptr(ids[pageMax-1])}, p.Page); diff != "" {
		t.Errorf("first page (-want +got):\n%s", diff)
	}
	if len(p.Notifications) != pageMax {
		t.Fatalf("first page: got %d notifications, want %d", len(p.Notifications), pageMax)
	}
	checkNotifications(t, bodies[:pageMax], p.Notifications)

	p = checkPage(t, srv.do(t, http.MethodGet, notificationURL(setA, "page_size", "50000", "next", *p.Page.Next), ""), typeNotificationPage)
	if diff := cmp.Diff(page{Size: pageMax}, p.Page); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	checkNotifications(t, bodies[pageMax:], p.Notifications)
}

// TestNotificationEmptySet: a set with no notifications is a 200 with
// "notifications": [] (not null) and no next.
func TestNotificationEmptySet(t *testing.T) {
	f := newFakeNotifier()
	f.add(setA, 0)
	srv := notifierServer(t, f, notifOpts())
	for _, q := range [][]string{nil, {"page_size", "7"}} {
		r := srv.do(t, http.MethodGet, notificationURL(setA, q...), "")
		p := checkPage(t, r, typeNotificationPage)
		want := fmt.Sprintf(`{"page":{"size":%d},"notifications":[]}`, p.Page.Size)
		if got := string(r.body); got != want {
			t.Errorf("page_size %q: body: got %s, want %s", q, got, want)
		}
		wantSize := pageDefault
		if q != nil {
			wantSize = 7
		}
		if p.Page.Size != wantSize {
			t.Errorf("page_size %q: page.size: got %d, want %d", q, p.Page.Size, wantSize)
		}
	}
}

// TestNotificationExactBody pins a small page byte for byte.
func TestNotificationExactBody(t *testing.T) {
	f := newFakeNotifier()
	f.sets[setA] = &fakeSet{
		ids:    []string{"0190a1b2-0000-7000-8000-000000000001", "0190a1b2-0000-7000-8000-000000000002"},
		bodies: []json.RawMessage{json.RawMessage(`{"id":"0190a1b2-0000-7000-8000-000000000001"}`), json.RawMessage(`{"id":"0190a1b2-0000-7000-8000-000000000002"}`)},
	}
	srv := notifierServer(t, f, notifOpts())
	r := srv.do(t, http.MethodGet, notificationURL(setA, "page_size", "1"), "")
	checkPage(t, r, typeNotificationPage)
	want := `{"page":{"next":"0190a1b2-0000-7000-8000-000000000001","size":1},"notifications":[{"id":"0190a1b2-0000-7000-8000-000000000001"}]}`
	if got := string(r.body); got != want {
		t.Errorf("body:\n got %s\nwant %s", got, want)
	}
}

// TestNotificationSetIDForms: the set ID is parsed as a UUID and handed
// to the store in canonical form.
func TestNotificationSetIDForms(t *testing.T) {
	f := newFakeNotifier()
	_, bodies := f.add(setA, 2)
	srv := notifierServer(t, f, notifOpts())
	for _, id := range []string{setA, strings.ToUpper(setA), strings.ReplaceAll(setA, "-", ""), "urn:uuid:" + setA} {
		t.Run(id, func(t *testing.T) {
			p := checkPage(t, srv.do(t, http.MethodGet, notificationURL(id), ""), typeNotificationPage)
			checkNotifications(t, bodies, p.Notifications)
			calls, _ := f.seen()
			if diff := cmp.Diff([]notifCall{{setA, "", pageDefault + 1}}, calls, cmp.AllowUnexported(notifCall{})); diff != "" {
				t.Errorf("store calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNotificationBadRequest: a bad ID, page_size or next is a 400 with
// Clair's error body, and the store is not asked.
func TestNotificationBadRequest(t *testing.T) {
	f := newFakeNotifier()
	f.add(setA, 3)
	srv := notifierServer(t, f, notifOpts())
	tests := []struct {
		name, method, path, inMsg string
	}{
		{"NegativePageSize", http.MethodGet, notificationURL(setA, "page_size", "-1"), "page_size"},
		{"VeryNegativePageSize", http.MethodGet, notificationURL(setA, "page_size", "-500"), "page_size"},
		{"WordPageSize", http.MethodGet, notificationURL(setA, "page_size", "ten"), "page_size"},
		{"FloatPageSize", http.MethodGet, notificationURL(setA, "page_size", "1.5"), "page_size"},
		{"SpacePageSize", http.MethodGet, notificationURL(setA, "page_size", " 5"), "page_size"},
		{"HexPageSize", http.MethodGet, notificationURL(setA, "page_size", "0x10"), "page_size"},
		{"OverflowPageSize", http.MethodGet, notificationURL(setA, "page_size", "99999999999999999999999"), "page_size"},
		{"BadNext", http.MethodGet, notificationURL(setA, "next", "nope"), "next"},
		{"ShortNext", http.MethodGet, notificationURL(setA, "next", setA[:35]), "next"},
		{"DigestNext", http.MethodGet, notificationURL(setA, "next", digestA.String()), "next"},
		{"BadNextGoodSize", http.MethodGet, notificationURL(setA, "page_size", "2", "next", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"), "next"},
		{"GetBadID", http.MethodGet, notificationURL("not-a-uuid"), "notification id"},
		{"GetNumericID", http.MethodGet, notificationURL("1234"), "notification id"},
		{"GetDigestID", http.MethodGet, notificationURL(digestA.String()), "notification id"},
		{"GetBadIDGoodQuery", http.MethodGet, notificationURL("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "page_size", "2"), "notification id"},
		{"DeleteBadID", http.MethodDelete, notificationURL("not-a-uuid"), "notification id"},
		{"DeleteShortID", http.MethodDelete, notificationURL(setA[:35]), "notification id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.do(t, tc.method, tc.path, "")
			msg := checkError(t, r, http.StatusBadRequest, "bad-request")
			if !strings.Contains(msg, tc.inMsg) {
				t.Errorf("message: got %q, want it to mention %q", msg, tc.inMsg)
			}
			if calls, acked := f.seen(); len(calls) != 0 || len(acked) != 0 {
				t.Errorf("store used on a bad request: calls %v, acked %q", calls, acked)
			}
		})
	}
	if f.sets[setA].acked {
		t.Error("set acknowledged by a bad request")
	}
}

// TestNotificationNotFound: an unknown set is a 404 for GET and DELETE
// (Clair answers GET with an empty page and DELETE with a 500).
func TestNotificationNotFound(t *testing.T) {
	f := newFakeNotifier()
	f.add(setA, 3)
	srv := notifierServer(t, f, notifOpts())
	for _, tc := range []struct {
		method string
		path   string
	}{
		{http.MethodGet, notificationURL(setUnknown)},
		{http.MethodGet, notificationURL(setUnknown, "page_size", "2", "next", setA)},
		{http.MethodGet, notificationURL(strings.ToUpper(setUnknown))},
		{http.MethodDelete, notificationURL(setUnknown)},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			r := srv.do(t, tc.method, tc.path, "")
			msg := checkError(t, r, http.StatusNotFound, "not-found")
			if want := "notification " + setUnknown + " not found"; msg != want {
				t.Errorf("message: got %q, want %q", msg, want)
			}
		})
	}
	if _, acked := f.seen(); len(acked) != 0 || f.sets[setA].acked {
		t.Errorf("acknowledged %q on unknown sets", acked)
	}
}

// TestNotificationDelete: DELETE acknowledges the set and answers 200 with
// an empty body; afterwards the set is gone for GET and DELETE. DELETE
// does not negotiate a content type.
func TestNotificationDelete(t *testing.T) {
	f := newFakeNotifier()
	f.add(setA, 3)
	_, bodiesB := f.add(setB, 2)
	srv := notifierServer(t, f, notifOpts())

	r := srv.do(t, http.MethodDelete, notificationURL(strings.ToUpper(setA)), "", "Accept", "text/html")
	checkStatus(t, r, http.StatusOK)
	checkEmpty(t, r)
	if len(r.raw) != 0 {
		t.Errorf("raw body: got %q, want empty", r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "" {
		t.Errorf("Content-Type: got %q, want none", ct)
	}
	calls, acked := f.seen()
	if diff := cmp.Diff([]string{setA}, acked); diff != "" {
		t.Errorf("acknowledged (-want +got):\n%s", diff)
	}
	if len(calls) != 0 {
		t.Errorf("DELETE read notifications: %v", calls)
	}

	checkError(t, srv.do(t, http.MethodGet, notificationURL(setA), ""), http.StatusNotFound, "not-found")
	checkError(t, srv.do(t, http.MethodDelete, notificationURL(setA), ""), http.StatusNotFound, "not-found")
	if _, acked := f.seen(); len(acked) != 0 {
		t.Errorf("acknowledged again: %q", acked)
	}

	// The other set is untouched.
	p := checkPage(t, srv.do(t, http.MethodGet, notificationURL(setB), ""), typeNotificationPage)
	checkNotifications(t, bodiesB, p.Notifications)

	// Compressed, the (empty) body still decodes to nothing.
	r = srv.do(t, http.MethodDelete, notificationURL(setB), "", "Accept-Encoding", "gzip")
	checkStatus(t, r, http.StatusOK)
	checkEmpty(t, r)
	if _, acked := f.seen(); !slices.Equal(acked, []string{setB}) {
		t.Errorf("acknowledged: got %q, want %q", acked, setB)
	}
}

// TestNotificationContentType: the page is negotiated between Clair's
// vendor type (the default) and application/json.
func TestNotificationContentType(t *testing.T) {
	f := newFakeNotifier()
	_, bodies := f.add(setA, 2)
	srv := notifierServer(t, f, notifOpts())
	for _, tc := range []struct {
		accept []string
		want   string
	}{
		{nil, typeNotificationPage},
		{[]string{"*/*"}, typeNotificationPage},
		{[]string{"application/*"}, typeNotificationPage},
		{[]string{typeNotificationPage}, typeNotificationPage},
		{[]string{"application/json"}, "application/json"},
		{[]string{"text/html, application/json"}, "application/json"},
		{[]string{"application/json;q=0.5, " + typeNotificationPage}, typeNotificationPage},
		{[]string{typeNotificationPage + ";q=0.2, application/json;q=0.9"}, "application/json"},
		{[]string{"text/plain", "application/json"}, "application/json"},
	} {
		t.Run(strings.Join(tc.accept, "|"), func(t *testing.T) {
			var hdr []string
			for _, a := range tc.accept {
				hdr = append(hdr, "Accept", a)
			}
			p := checkPage(t, srv.do(t, http.MethodGet, notificationURL(setA), "", hdr...), tc.want)
			checkNotifications(t, bodies, p.Notifications)
		})
	}
	t.Run("Unacceptable", func(t *testing.T) {
		f.seen()
		r := srv.do(t, http.MethodGet, notificationURL(setA), "", "Accept", "text/html")
		checkError(t, r, http.StatusUnsupportedMediaType, "internal-error")
		if calls, _ := f.seen(); len(calls) != 0 {
			t.Errorf("store asked although nothing is acceptable: %v", calls)
		}
	})
	t.Run("Malformed", func(t *testing.T) {
		r := srv.do(t, http.MethodGet, notificationURL(setA), "", "Accept", "application/json;q=high")
		checkError(t, r, http.StatusBadRequest, "bad-request")
	})
}

// TestNotificationCompressed: pages are compressed when asked.
func TestNotificationCompressed(t *testing.T) {
	f := newFakeNotifier()
	ids, bodies := f.add(setA, 40)
	srv := notifierServer(t, f, notifOpts())
	for _, coding := range []string{"gzip", "zstd", "deflate"} {
		t.Run(coding, func(t *testing.T) {
			r := srv.do(t, http.MethodGet, notificationURL(setA, "page_size", "30"), "", "Accept-Encoding", coding)
			checkHeader(t, r, "Content-Encoding", coding)
			p := checkPage(t, r, typeNotificationPage)
			if diff := cmp.Diff(page{30, ptr(ids[29])}, p.Page); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			checkNotifications(t, bodies[:30], p.Notifications)
		})
	}
}

// TestNotificationMethodNotAllowed: only GET and DELETE are served; the
// method is checked before the ID, and Allow names both.
func TestNotificationMethodNotAllowed(t *testing.T) {
	f := newFakeNotifier()
	f.add(setA, 1)
	srv := notifierServer(t, f, notifOpts())
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		for _, id := range []string{setA, "not-a-uuid"} {
			t.Run(method+"/"+id, func(t *testing.T) {
				r := srv.do(t, method, notificationURL(id), `{}`)
				checkMethodNotAllowed(t, method, r)
				if got, want := r.header.Values("Allow"), []string{http.MethodGet, http.MethodDelete}; !slices.Equal(got, want) {
					t.Errorf("Allow: got %q, want %q", got, want)
				}
				if calls, acked := f.seen(); len(calls) != 0 || len(acked) != 0 {
					t.Errorf("store used: calls %v, acked %q", calls, acked)
				}
			})
		}
	}
}

// TestNotificationStoreError: store failures other than "not found" are
// 500s (503 with Retry-After when the database is down), with the error
// body.
func TestNotificationStoreError(t *testing.T) {
	errBoom := errors.New("disk on fire")
	for _, tc := range []struct {
		name   string
		err    error
		opts   api.NotifierOptions
		status int
	}{
		{"Failure", errBoom, notifOpts(), http.StatusInternalServerError},
		{"WrappedFailure", fmt.Errorf("reading set: %w", errBoom), notifOpts(), http.StatusInternalServerError},
		// Without IsNotFound nothing is "not found": Clair's answer to an
		// unknown set on DELETE.
		{"UnknownWithoutIsNotFound", fmt.Errorf("%w: %s", errUnknownSet, setA), api.NotifierOptions{}, http.StatusInternalServerError},
		{"Unavailable", fmt.Errorf("query: %w: connection refused", store.ErrUnavailable), notifOpts(), http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNotifier()
			f.add(setA, 3)
			f.err = tc.err
			srv := notifierServer(t, f, tc.opts)
			for _, req := range []struct{ method, path, msgPrefix string }{
				{http.MethodGet, notificationURL(setA), "failed to retrieve notifications: "},
				{http.MethodGet, notificationURL(setA, "page_size", "2", "next", setA), "failed to retrieve notifications: "},
				{http.MethodDelete, notificationURL(setA), "could not delete notification: "},
			} {
				r := srv.do(t, req.method, req.path, "")
				msg := checkError(t, r, tc.status, "internal-error")
				if want := req.msgPrefix + tc.err.Error(); msg != want {
					t.Errorf("%s %s: message: got %q, want %q", req.method, req.path, msg, want)
				}
				wantRetry := ""
				if tc.status == http.StatusServiceUnavailable {
					wantRetry = "5"
				}
				checkHeader(t, r, "Retry-After", wantRetry)
			}
			if f.sets[setA].acked {
				t.Error("set acknowledged although the store failed")
			}
		})
	}
}

// TestNotificationUnknownPaths: paths beside the route are Go's plain 404.
func TestNotificationUnknownPaths(t *testing.T) {
	f := newFakeNotifier()
	f.add(setA, 1)
	srv := notifierServer(t, f, notifOpts())
	for _, p := range []string{
		"/notifier/api/v1/",
		"/notifier/api/v1/notification",
		"/notifier/api/v1/notification/",
		"/notifier/api/v1/notifications/" + setA,
		"/notifier/api/v1/notification/" + setA + "/extra",
		"/notifier/api/v2/notification/" + setA,
	} {
		t.Run(p, func(t *testing.T) {
			r := srv.do(t, http.MethodGet, p, "")
			checkStatus(t, r, http.StatusNotFound)
			if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
				t.Errorf("Content-Type: got %q, want text/plain", got)
			}
			if calls, _ := f.seen(); len(calls) != 0 {
				t.Errorf("store asked: %v", calls)
			}
		})
	}
}
