package ci

import "testing"

func TestRemoved(t *testing.T) {
	if !(Affected{Hub: "a", Reasons: []string{ReasonRemoved}}).Removed() {
		t.Error("a removed hub is not Removed")
	}
	if (Affected{Hub: "a", Reasons: []string{ReasonNew}}).Removed() {
		t.Error("a new hub is Removed")
	}
}
