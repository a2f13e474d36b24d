// Package metricstest reads histograms back from a Prometheus registry in
// tests, which client_golang's testutil does not do: ToFloat64 takes only
// counters and gauges, and CollectAndCompare needs every bucket and sum.
package metricstest
