// Package stomp delivers notification sets to a STOMP broker.
//
// Messages are SEND frames to the configured destination, with content
// type application/json. Without direct mode a set is one message, the
// JSON object {"notification_id": ID, "callback": URL}, sent with a
// receipt requested; it is delivered when the broker's RECEIPT comes. In
// direct mode a set is its notifications themselves, as JSON arrays of at
// most rollup notifications (0 and 1 both mean one), each followed by a
// newline, sent inside a transaction: BEGIN, the SENDs, then COMMIT with a
// receipt; it is delivered when the COMMIT's RECEIPT comes. A set with no
// notifications sends nothing. Once delivered in direct mode a set is
// acknowledged and never served over HTTP.
//
// Anything else fails the delivery, and the caller delivers the set again
// in full: an ERROR frame, a broken connection, no receipt within the
// context's deadline (and at most Timeout). A failed transaction is
// aborted: with ABORT when the connection still works, otherwise by the
// broker, which drops a connection's open transactions when it ends. A
// receipt says the broker took the frame, no more: STOMP has no way to
// say that no queue took a message. RabbitMQ, for one, acknowledges and
// drops a message sent to an /exchange/ destination with no binding for
// it, or to an /amq/queue/ destination whose queue does not exist; a
// /queue/ destination creates its queue.
//
// The Deliverer connects on its first delivery, to the first of the
// configured addresses (host:port) that accepts it within 30 seconds,
// with TLS when the config has a tls block (roots added to the system's,
// and a client certificate when both cert and key are set, though a
// root_ca alone will do). Its CONNECT frame's host header is the config's
// host key when set, otherwise the address's host, as Clair's is; RabbitMQ
// takes the header as the virtual host, so against RabbitMQ set host to
// a virtual host that exists, such as "/". The frame carries the login
// and passcode of the config's user block. The Deliverer keeps the connection, and
// deliveries share it concurrently. It asks the broker for a heart-beat
// every 30 seconds and sends none, so a broker that is gone, or a
// connection cut without a word, is noticed within a minute even between
// deliveries, and replaced on the next delivery, trying the addresses in
// order again.
//
// Differences from Clair: Clair never sends the user block's login and
// passcode; Loupe does. Clair has no host key. Clair opens a new connection for every delivery;
// Loupe keeps one. Loupe speaks STOMP with the frame codec of go-stomp and not its
// client, whose calls cannot be cancelled and can block for good when a
// connection breaks with frames queued.
package stomp
