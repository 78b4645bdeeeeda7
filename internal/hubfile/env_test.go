package hubfile

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckNameAndFree(t *testing.T) {
	e, err := Open("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "delta", "hub-2", strings.Repeat("a", 45)} {
		if err := e.CheckName(name); err != nil {
			t.Errorf("CheckName(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "Delta", "../x", "x/y", "-x", "x-", "2x", strings.Repeat("a", 46), "chart", "delta.cue"} {
		var ne *NameError
		if err := e.CheckName(name); !errors.As(err, &ne) {
			t.Errorf("CheckName(%q) = %v, want a NameError", name, err)
		}
	}
	for _, name := range []string{"alpha", "templates", "hubs"} {
		var ee *ExistsError
		if err := e.CheckFree(name); !errors.As(err, &ee) {
			t.Errorf("CheckFree(%q) = %v, want an ExistsError", name, err)
		}
	}
	if err := e.CheckFree("zulu"); err != nil {
		t.Errorf("CheckFree(zulu): %v", err)
	}
}
