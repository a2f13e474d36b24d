// Package notifier tells subscribers when new vulnerability data affects
// manifests that were already indexed.
//
// For every update operation an updater lands, the notifier asks the
// matcher what changed since that updater's previous operation (the
// vulnerabilities added and removed), asks the indexer which indexed
// manifests those affect (with the same matching as vulnerability
// reports), and stores the result as one notification set: in summary
// mode (the default) one notification per manifest, carrying its most
// severe change; otherwise one per (manifest, vulnerability, reason). An
// updater's very first operation compares against nothing, so by default
// it notifies no one: the first load of a feed is not news.
//
// Sets are delivered by a Deliverer (a webhook, AMQP, STOMP) at least
// once: a set counts as delivered only when the target accepted it, a
// failed delivery is retried with exponential backoff (up to the delivery
// interval), and sets left pending by a stopped process are delivered when
// one starts. Subscribers page a set's notifications and acknowledge it;
// acknowledged sets, and sets older than Expiry, are garbage-collected.
//
// Work is coordinated through the store's leases, so several notifier
// processes can share one database: each update operation is processed
// once, and each set delivered by one process at a time.
package notifier
