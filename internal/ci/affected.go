package ci

// Affected is a hub whose generated output differs between two revisions, and why.
type Affected struct {
	Hub     string   `json:"hub"`
	Reasons []string `json:"reasons"`
}

// Reasons a hub is affected that other code may test for.
const (
	// ReasonRemoved marks a hub that exists at the base only: it is listed
	// (its deployment may have to be torn down) but needs no build or
	// deploy.
	ReasonRemoved = "hub removed"
	// ReasonNew marks a hub that exists at the head only.
	ReasonNew = "new hub"
)

// Removed reports whether the hub exists at the base only (nothing to
// build or deploy).
func (a Affected) Removed() bool {
	for _, r := range a.Reasons {
		if r == ReasonRemoved {
			return true
		}
	}
	return false
}

// AffectedCluster is a cluster whose generated definition (the files
// under clusters/<cluster>/) differs between two revisions, and why. A
// cluster change does not by itself affect the hubs on the cluster: CI
// validates the definition and never applies it (applying it is the
// operator's decision); a hub is affected only when its own files differ.
type AffectedCluster struct {
	Cluster string `json:"cluster"`
	// Provider is the cluster's cloud provider (aws, gcp, azure): what
	// tool validates its definition.
	Provider string   `json:"provider"`
	Reasons  []string `json:"reasons"`
}

// Reasons a cluster is affected that other code may test for.
const (
	// ReasonClusterRemoved marks a cluster that exists at the base only:
	// listed, nothing to validate (tearing it down is the operator's
	// decision).
	ReasonClusterRemoved = "cluster removed"
	// ReasonClusterNew marks a cluster that exists at the head only.
	ReasonClusterNew = "new cluster"
)

// Removed reports whether the cluster exists at the base only (nothing to
// validate).
func (a AffectedCluster) Removed() bool {
	for _, r := range a.Reasons {
		if r == ReasonClusterRemoved {
			return true
		}
	}
	return false
}
