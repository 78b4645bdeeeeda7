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
