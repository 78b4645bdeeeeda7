package release

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

// TestPrefetchChart: a chart loaded ahead renders as the one Render loads,
// is taken only for its own source, and fails as LoadChart fails.
func TestPrefetchChart(t *testing.T) {
	f := federation(t)
	chart := umbrella(t, f)
	r := request(t, f, chart, "charlie", "staging")
	want, err := Render(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nochart")
	for _, tc := range []struct {
		name, ahead string
		nilAhead    bool
	}{
		{name: "same source", ahead: chart},
		{name: "another source", ahead: missing},
		{name: "a repository", ahead: "https://charts.example.org/", nilAhead: true},
		{name: "an OCI reference", ahead: "oci://registry.example.org/charts/pangeo-deploy", nilAhead: true},
		{name: "none", ahead: "", nilAhead: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := r
			r.Ahead = PrefetchChart(context.Background(), r.Cache, tc.ahead)
			if (r.Ahead == nil) != tc.nilAhead {
				t.Fatalf("PrefetchChart(%q) = %v", tc.ahead, r.Ahead)
			}
			got, err := Render(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Error("the render differs from the one without a chart loaded ahead")
			}
		})
	}
	r.Chart = missing
	_, want2 := Render(context.Background(), r)
	r.Ahead = PrefetchChart(context.Background(), r.Cache, missing)
	_, err = Render(context.Background(), r)
	if err == nil || want2 == nil || err.Error() != want2.Error() {
		t.Errorf("a missing chart loaded ahead: %v, want %v", err, want2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Chart = chart
	r.Ahead = &ChartAhead{source: chart, done: make(chan struct{})}
	if _, err := Render(ctx, r); err != context.Canceled {
		t.Errorf("cancelled while the chart loads: %v", err)
	}
}
