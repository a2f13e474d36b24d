package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/loupe-dev/loupe"
	"github.com/loupe-dev/loupe/store"
)

// Set statuses.
const (
	// StatusPending: created, not delivered yet (or being retried).
	StatusPending = "pending"
	// StatusDelivered: the subscriber accepted it; it waits to be paged
	// and acknowledged.
	StatusDelivered = "delivered"
	// StatusAcked: acknowledged (DELETE, or delivered directly); garbage.
	StatusAcked = "acked"
)

// ErrUnknownSet is returned for a notification set that does not exist.
var ErrUnknownSet = errors.New("unknown notification set")

// Set is a notification set's delivery state.
type Set struct {
	ID          string
	UpdateRef   string
	Updater     string
	Created     time.Time
	Status      string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	Count       int
}

// Store keeps the notifier's state: which update operations it has
// processed, the notification sets it made of them and their delivery.
type Store interface {
	store.Leaser
	// Processed returns which of the refs have been processed.
	Processed(ctx context.Context, refs []string) (map[string]bool, error)
	// ProcessedUpdaters returns the updaters with any processed
	// operation.
	ProcessedUpdaters(ctx context.Context) (map[string]bool, error)
	// PutNotifications records op as processed and, when notes is not
	// empty, creates set setID holding them, pending delivery, in one
	// transaction. Recording an operation twice is an error wrapping
	// ErrProcessed, and changes nothing.
	PutNotifications(ctx context.Context, op loupe.UpdateOperation, setID string, notes []loupe.Notification) error
	// Due returns up to limit sets pending delivery whose next attempt is
	// due at now, the earliest first.
	Due(ctx context.Context, now time.Time, limit int) ([]Set, error)
	// NextDue returns when the next pending set is due, and false if
	// there is none.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// Delivered marks a set delivered; with ack, acknowledged at once.
	Delivered(ctx context.Context, id string, ack bool) error
	// Failed records a failed attempt and when to try again.
	Failed(ctx context.Context, id string, reason string, next time.Time) error
	// Notifications returns up to limit notifications of a set, each the
	// JSON of a loupe.Notification, after the one with ID after ("" for
	// the first page), ordered by ID. It wraps ErrUnknownSet for a set
	// that does not exist or was acknowledged.
	Notifications(ctx context.Context, id, after string, limit int) ([]json.RawMessage, []string, error)
	// Ack acknowledges a set; it wraps ErrUnknownSet for one that does
	// not exist or was acknowledged already.
	Ack(ctx context.Context, id string) error
	// GC deletes acknowledged sets and sets created before expiry, with
	// their notifications, and processed-operation records older than
	// expiry but each updater's newest; it returns how many sets it
	// deleted.
	GC(ctx context.Context, expiry time.Time) (int, error)
	// Counts returns the number of sets by status.
	Counts(ctx context.Context) (map[string]int, error)
}

// ErrProcessed is wrapped by PutNotifications for an operation already
// processed.
var ErrProcessed = errors.New("update operation already processed")
