package render

import (
	"context"
	"testing"
)

// RenderWithKrusty is Render with krusty run even without patches, for the
// test that holds the filters to krusty's output.
func RenderWithKrusty(ctx context.Context, o Options) ([]byte, error) {
	o.krusty = true
	return Render(ctx, o)
}

// NeedsKrusty reports whether render would run krusty for the objects of
// stream, a YAML stream (needsKrusty).
func NeedsKrusty(t testing.TB, stream []byte) bool {
	t.Helper()
	objs, err := splitDocuments(string(stream), "test")
	if err != nil {
		t.Fatal(err)
	}
	return needsKrusty(objs)
}
