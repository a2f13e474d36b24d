package notifier

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	created, delivered, notesDelivered, failures prometheus.Counter
	sets                                         *prometheus.GaugeVec
}

func newMetrics() metrics {
	return metrics{
		created: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "notifier", Name: "notifications_created_total",
			Help: "Notifications created from update operations.",
		}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "notifier", Name: "sets_delivered_total",
			Help: "Notification sets delivered to the subscriber.",
		}),
		notesDelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "notifier", Name: "notifications_delivered_total",
			Help: "Notifications in the sets delivered to the subscriber.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "loupe", Subsystem: "notifier", Name: "delivery_failures_total",
			Help: "Failed attempts to deliver a notification set (each is retried).",
		}),
		sets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "loupe", Subsystem: "notifier", Name: "sets",
			Help: "Notification sets by status: pending (awaiting delivery), delivered (awaiting acknowledgement), acked (awaiting collection).",
		}, []string{"status"}),
	}
}

func (m metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.created, m.delivered, m.notesDelivered, m.failures, m.sets} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// updateGauges refreshes the sets gauge from the store.
func (n *Notifier) updateGauges(ctx context.Context) {
	counts, err := n.opts.Store.Counts(ctx)
	if err != nil {
		return
	}
	for _, st := range []string{StatusPending, StatusDelivered, StatusAcked} {
		n.metrics.sets.WithLabelValues(st).Set(float64(counts[st]))
	}
}
