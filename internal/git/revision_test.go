package git

import "testing"

// TestRevisionSyntax: revision expressions are never looked up as a
// branch (origin/HEAD~1 for HEAD~1); plain names may be.
func TestRevisionSyntax(t *testing.T) {
	for _, tc := range []struct {
		name string
		rev  bool
	}{
		{"main", false},
		{"origin/main", false},
		{"feature/x-1.2", false},
		{"release@2", false},
		{"v1.0", false},
		{"0123456789abcdef0123456789abcdef01234567", false}, // a commit id, but never a branch here
		{"HEAD", true},
		{"HEAD~1", true},
		{"HEAD^", true},
		{"main^", true},
		{"main~2", true},
		{"origin/HEAD", true},
		{"FETCH_HEAD", true},
		{"ORIG_HEAD", true},
		{"@", true},
		{"@{-1}", true},
		{"main@{upstream}", true},
		{"c0..c1", true},
		{"HEAD:hubs", true},
		{":/message", true},
		{"-x", true},
		{"/abs", true},
		{"a b", true},
		{"", true},
	} {
		if got := revisionSyntax(tc.name); got != tc.rev {
			t.Errorf("revisionSyntax(%q) = %v, want %v", tc.name, got, tc.rev)
		}
	}
}
