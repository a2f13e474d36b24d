// Package amqp delivers notification sets to an AMQP 0-9-1 broker such as
// RabbitMQ.
//
// Messages are published to the configured exchange ("" is the default
// exchange) with the configured routing key, as persistent messages with
// content type application/json and app id "clairV4-notifier". Without
// direct mode a set is one message, the JSON object {"notification_id":
// ID, "callback": URL}. In direct mode a set is its notifications
// themselves, as JSON arrays of at most rollup notifications (0 and 1 both
// mean one), each array followed by a newline; a set with no
// notifications publishes nothing. Subscribers get a set in direct mode
// only this way: once delivered it is acknowledged and never served over
// HTTP.
//
// A set is delivered when the broker has confirmed (publisher confirms)
// every message of it. Messages are published mandatory, so a message no
// queue takes comes back, and the delivery fails instead of the message
// being dropped; so does a negative confirm, a closed channel, or no
// confirm within the context's deadline (and at most Timeout). The caller
// delivers a failed set again, in full: subscribers may see a message
// twice, never zero times.
//
// The Deliverer connects on its first delivery, to the first of the
// configured URIs that accepts it, and checks with a passive declare that
// the exchange exists: the broker must be set up beforehand. amqps:// URIs
// use the tls block: its roots are added to the system's, and its client
// certificate is sent when both cert and key are set, though a root_ca
// alone will do. The Deliverer keeps the connection, with heart-beats,
// and gives each delivery a channel of its own, so deliveries run
// concurrently. A connection found broken when a delivery starts is
// replaced, trying the URIs in order again.
//
// Differences from Clair: Clair publishes without the mandatory flag, a
// callback message without even a confirm (direct mode uses a channel
// transaction), so a message no queue takes still counts as delivered;
// Loupe counts only what the broker confirmed and routed. Clair opens a
// new connection for every delivery; Loupe keeps one. Clair's callback
// message is path-joined from the callback base; Loupe sends the callback
// URL the notifier built, as the webhook does. Loupe also marks messages
// persistent, so that they survive a broker restart in a durable queue.
// The app id stays Clair's, as the JWT issuer of webhooks does: consumers
// written for Clair may filter on it, and nothing gains from a new one.
package amqp
