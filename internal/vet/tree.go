package vet

import (
	"path/filepath"

	"cuelang.org/go/cue/token"

	"github.com/pangeo-data/pangeo-gen/internal/finding"
	"github.com/pangeo-data/pangeo-gen/internal/tree"
)

// treeSafety: what must not be in the generated tree whatever the hubs
// say. Temporary files an interrupted gen left (git add would commit
// them, repo2docker would build them into the image) and symbolic links
// (gen never makes one and refuses to write through one; one that leaves
// the repository would let a build or a commit reach outside it), each
// named once, at the path itself.
func (c *checker) treeSafety(plan *tree.Plan) {
	for _, rel := range plan.Leftovers {
		c.add(&finding.Finding{Check: "generated", Hub: hubOfPath(rel), CUEPath: []string{rel}, Pos: pathPos(c.fed.Root, rel),
			Message: "temporary file left by an interrupted pangeo-gen gen (git add would commit it, repo2docker would build it): run pangeo-gen gen to remove it"})
	}
	for _, l := range plan.Links {
		msg := "symbolic link to " + l.Target + ": pangeo-gen never makes links in the generated tree and never writes through one: remove it, then run pangeo-gen gen"
		if l.Escapes {
			msg = "symbolic link to " + l.Target + ", outside the repository: a build or a write through it reaches outside the repository, and pangeo-gen never writes through one: remove it, then run pangeo-gen gen"
		}
		c.add(&finding.Finding{Check: "generated", Hub: hubOfPath(l.Path), CUEPath: []string{l.Path}, Pos: pathPos(c.fed.Root, l.Path), Message: msg})
	}
}

// pathPos is the position of a path under root, without reading it (a
// link is not followed).
func pathPos(root, rel string) token.Pos {
	return token.NewFile(filepath.Join(root, filepath.FromSlash(rel)), -1, 1).Pos(0, token.NoRelPos)
}
