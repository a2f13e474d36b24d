package poolstats

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats is a snapshot of a pool. Closed counts connections closed by the
// pool's limits, by reason ("max_lifetime", "max_idle_time",
// "max_idle_conns").
type Stats struct {
	Acquired, Idle, Total, Max int64
	EmptyAcquires              int64
	EmptyAcquireWait           time.Duration
	Closed                     map[string]int64

	// Acquisition counts; only with Options.Acquisitions.
	Acquires, CanceledAcquires, Constructing, NewConns int64
	AcquireDuration                                    time.Duration
}

// Options describe a pool.
type Options struct {
	// Service labels every series.
	Service string
	// Acquisitions says Stats has the acquisition counts.
	Acquisitions bool
	// ClosedReasons are the keys Stats.Closed has.
	ClosedReasons []string
	// Stat reads the pool, on every collection.
	Stat func() Stats
}

type collector struct {
	opts Options
	descs
}

type descs struct {
	acquired, idle, total, max, emptyAcquires, emptyWait, closed *prometheus.Desc
	acquires, acquireDuration, canceled, constructing, newConns  *prometheus.Desc
}

// New returns a collector of opts.Stat's statistics.
func New(opts Options) prometheus.Collector {
	labels := prometheus.Labels{"service": opts.Service}
	d := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName("loupe", "db_pool", name), help, variable, labels)
	}
	c := &collector{opts: opts}
	c.acquired = d("acquired_connections", "Connections in use.")
	c.idle = d("idle_connections", "Idle connections.")
	c.total = d("total_connections", "Open connections, in use, idle or (PostgreSQL) being opened.")
	c.max = d("max_connections", "The most connections the pool opens; 0 means no limit.")
	c.emptyAcquires = d("empty_acquires_total", "Acquisitions that had to wait for a connection because none was free.")
	c.emptyWait = d("empty_acquire_wait_seconds_total", "Time spent waiting for a connection because none was free.")
	c.closed = d("closed_connections_total", "Connections the pool closed because of its limits, by reason.", "reason")
	if opts.Acquisitions {
		c.acquires = d("acquires_total", "Connections acquired from the pool.")
		c.acquireDuration = d("acquire_duration_seconds_total", "Time spent acquiring connections.")
		c.canceled = d("canceled_acquires_total", "Acquisitions cancelled by their context.")
		c.constructing = d("constructing_connections", "Connections being opened.")
		c.newConns = d("new_connections_total", "Connections opened.")
	}
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.all() {
		ch <- d
	}
}

func (c *collector) all() []*prometheus.Desc {
	out := []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.emptyAcquires, c.emptyWait, c.closed}
	if c.opts.Acquisitions {
		out = append(out, c.acquires, c.acquireDuration, c.canceled, c.constructing, c.newConns)
	}
	return out
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.opts.Stat()
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(c.acquired, s.Acquired)
	gauge(c.idle, s.Idle)
	gauge(c.total, s.Total)
	gauge(c.max, s.Max)
	counter(c.emptyAcquires, float64(s.EmptyAcquires))
	counter(c.emptyWait, s.EmptyAcquireWait.Seconds())
	for _, r := range c.opts.ClosedReasons {
		counter(c.closed, float64(s.Closed[r]), r)
	}
	if c.opts.Acquisitions {
		counter(c.acquires, float64(s.Acquires))
		counter(c.acquireDuration, s.AcquireDuration.Seconds())
		counter(c.canceled, float64(s.CanceledAcquires))
		gauge(c.constructing, s.Constructing)
		counter(c.newConns, float64(s.NewConns))
	}
}
