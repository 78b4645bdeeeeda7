package main

import (
	"fmt"
	"os"

	"github.com/pangeo-data/pangeo-gen/internal/finding"
	"github.com/pangeo-data/pangeo-gen/internal/load"
)

// findRoot is --root, or the nearest folder up from here with cue.mod.
func (g *globals) findRoot() (string, error) {
	root := g.root
	if root == "" {
		root = "."
	}
	return load.FindRoot(root)
}

// loadFederation finds the root and loads the hubs. CUE problems come back
// as findings (each with file:line:col and CUE path).
func (g *globals) loadFederation() (*load.Federation, []*finding.Finding, error) {
	return g.loadWith(load.Load)
}

// loadHub is loadFederation of the hub name alone (load.LoadHub): what
// render needs, whatever the size of the federation.
func (g *globals) loadHub(name string) (*load.Federation, []*finding.Finding, error) {
	return g.loadWith(func(root string) (*load.Federation, error) { return load.LoadHub(root, name) })
}

// loadWith finds the root and loads it with loader.
func (g *globals) loadWith(loader func(root string) (*load.Federation, error)) (*load.Federation, []*finding.Finding, error) {
	root, err := g.findRoot()
	if err != nil {
		return nil, nil, err
	}
	g.guard(root)
	fed, err := loader(root)
	if err != nil {
		if fed == nil {
			fed = &load.Federation{Root: root}
		}
		return fed, finding.FromCUE(err, fed.HubPos), nil
	}
	return fed, nil, nil
}

// report prints findings as text on stderr or as JSON on stdout and turns
// any finding into exit 1.
func (g *globals) report(root, format string, findings []*finding.Finding) error {
	if format == "json" {
		if err := finding.PrintJSON(g.stdout, root, findings); err != nil {
			return err
		}
	} else {
		finding.Print(g.stderr, root, findings)
	}
	if len(findings) > 0 {
		if format != "json" {
			fmt.Fprintf(g.stderr, "%s\n", finding.Summary(findings))
		}
		return &exitError{1}
	}
	return nil
}

// guard arms load's process-level guard: a CUE evaluation that passes its
// CPU or memory limit cannot be interrupted, so the finding naming the hub
// is printed and the process exits 1. Every command loads before it
// writes, so nothing is written.
func (g *globals) guard(root string) {
	stderr := g.stderr
	load.OnOverrun = func(err error) {
		findings := finding.FromCUE(err, nil)
		finding.Print(stderr, root, findings)
		fmt.Fprintf(stderr, "%s\n", finding.Summary(findings))
		os.Exit(1)
	}
}
