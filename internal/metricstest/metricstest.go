package metricstest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Histogram returns the sample count and sum of the series of histogram
// name whose labels are exactly labels (name, value pairs); a series that
// does not exist has count 0.
func Histogram(t testing.TB, g prometheus.Gatherer, name string, labels ...string) (count uint64, sum float64) {
	t.Helper()
	if len(labels)%2 != 0 {
		t.Fatalf("metricstest.Histogram: odd label list %q", labels)
	}
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gathering metrics: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		if mf.GetType() != dto.MetricType_HISTOGRAM {
			t.Fatalf("%s is a %v, not a histogram", name, mf.GetType())
		}
		for _, m := range mf.GetMetric() {
			if matches(m.GetLabel(), labels) {
				h := m.GetHistogram()
				return h.GetSampleCount(), h.GetSampleSum()
			}
		}
	}
	return 0, 0
}

// Value returns the value of the counter or gauge series of name whose
// labels are exactly labels (name, value pairs); ok is false when there
// is no such series.
func Value(t testing.TB, g prometheus.Gatherer, name string, labels ...string) (v float64, ok bool) {
	t.Helper()
	if len(labels)%2 != 0 {
		t.Fatalf("metricstest.Value: odd label list %q", labels)
	}
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gathering metrics: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !matches(m.GetLabel(), labels) {
				continue
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue(), true
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue(), true
			default:
				t.Fatalf("%s is a %v, not a counter or gauge", name, mf.GetType())
			}
		}
	}
	return 0, false
}

// Series returns the label sets of name's series, each rendered as
// "name=value,name=value" in the registry's (sorted) label order.
func Series(t testing.TB, g prometheus.Gatherer, name string) []string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gathering metrics: %v", err)
	}
	var out []string
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			s := ""
			for i, lp := range m.GetLabel() {
				if i > 0 {
					s += ","
				}
				s += lp.GetName() + "=" + lp.GetValue()
			}
			out = append(out, s)
		}
	}
	return out
}

func matches(have []*dto.LabelPair, want []string) bool {
	if len(have) != len(want)/2 {
		return false
	}
	for i := 0; i < len(want); i += 2 {
		found := false
		for _, lp := range have {
			if lp.GetName() == want[i] && lp.GetValue() == want[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
