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

func TestClusterRemoved(t *testing.T) {
	if !(AffectedCluster{Cluster: "a", Reasons: []string{ReasonClusterRemoved}}).Removed() {
		t.Error("a removed cluster is not Removed")
	}
	if (AffectedCluster{Cluster: "a", Reasons: []string{ReasonClusterNew}}).Removed() {
		t.Error("a new cluster is Removed")
	}
}
