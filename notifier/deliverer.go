package notifier

import (
	"context"
	"encoding/json"
)

// A Deliverer hands notification sets to subscribers: a webhook, an AMQP
// exchange, a STOMP destination.
//
// Deliver returns nil only once the target has accepted the delivery (a
// 2xx answer, a broker's confirmation or receipt); any error means "try
// again later", and the set is delivered again. Deliverers are therefore
// at-least-once: a subscriber may see a set twice, never zero times.
// Deliverers keep what connections they need across calls, reconnect when
// a connection breaks, and are safe for concurrent use.
type Deliverer interface {
	// Name is "webhook", "amqp" or "stomp", for logs and metrics.
	Name() string
	// Deliver delivers one notification set.
	Deliver(ctx context.Context, d *Delivery) error
	// Close releases connections.
	Close() error
}

// Delivery is one notification set to deliver.
type Delivery struct {
	// ID is the set's ID: the notification_id subscribers page with.
	ID string
	// Callback is the URL to page the set from (the configured callback
	// base with ID appended), as a webhook or a callback message carries.
	Callback string
	// Notifications returns the set's notifications, each the JSON of a
	// loupe.Notification, for deliverers that send them directly (AMQP
	// and STOMP direct mode); others ignore it.
	Notifications func(ctx context.Context) ([]json.RawMessage, error)
}

// Direct is implemented by deliverers that send the notifications
// themselves rather than a callback. Once such a delivery succeeds the
// set is acknowledged: subscribers have everything, and nothing is left
// to page.
type Direct interface {
	Direct() bool
}
