package binder

import (
	"reflect"
	"regexp"
	"testing"
)

// The schema's patterns, for the converters' validators (the tests of New
// use the schema itself).
var (
	specRE = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9_.-]+)*::)?[A-Za-z0-9][A-Za-z0-9_.-]*(\s*(==?|>=|<=|>|<|!=|~=)\s*[^\s]+)?$`)
	varRE  = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	aptRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]+(=[^\s]+)?$`)
)

func TestConvertEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name      string
		yml       string
		want      Conda
		wantStart map[string]string
		notes     int
	}{
		{
			name: "pinned conda and pip",
			yml: `name: tutorial
channels:
  - conda-forge
dependencies:
  - python=3.11
  - xarray>=2024.1
  - numpy ==1.26.4
  - pip
  - pip:
    - earthaccess==0.9.0
    - git+https://github.com/org/tool.git@v1  # a comment
`,
			want: Conda{
				Channels:     []string{"conda-forge"},
				Dependencies: []string{"python=3.11", "xarray>=2024.1", "numpy ==1.26.4", "pip"},
				Pip:          []string{"earthaccess==0.9.0", "git+https://github.com/org/tool.git@v1"},
			},
		},
		{
			name: "conda's own spellings",
			yml: `channels: [conda-forge, bioconda]
dependencies:
  - netcdf4 1.6.5
  - hdf5 1.14.3 nompi_h2d575fe_101
  - conda-forge::zarr
  - bioconda::samtools=1.19
  - python=3.11
  - python=3.11
`,
			want: Conda{
				Channels:     []string{"conda-forge", "bioconda"},
				Dependencies: []string{"netcdf4=1.6.5", "hdf5=1.14.3", "conda-forge::zarr", "bioconda::samtools=1.19", "python=3.11"},
			},
		},
		{
			name: "what is not converted is a note; a spec keeps its channel",
			yml: `dependencies:
  - defaults::numpy
  - "numpy[version='>=1.2']"
  - 42
  - pip:
    - -r requirements.txt
    - --index-url https://example.org
  - npm:
    - foo
variables:
  DATA_DIR: /data
  lower: x
`,
			want:      Conda{Dependencies: []string{"defaults::numpy"}},
			wantStart: map[string]string{"DATA_DIR": "/data"},
			notes:     6,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conda, start, notes, err := ConvertEnvironment([]byte(tc.yml), specRE.MatchString, varRE.MatchString)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(conda, tc.want) {
				t.Errorf("conda:\n got %#v\nwant %#v", conda, tc.want)
			}
			if !reflect.DeepEqual(start, tc.wantStart) {
				t.Errorf("start: got %v, want %v", start, tc.wantStart)
			}
			if len(notes) != tc.notes {
				t.Errorf("notes: got %d, want %d: %q", len(notes), tc.notes, notes)
			}
		})
	}
	if _, _, _, err := ConvertEnvironment([]byte("dependencies: [a\n"), specRE.MatchString, varRE.MatchString); err == nil {
		t.Error("bad YAML: no error")
	}
}

func TestPinGateway(t *testing.T) {
	got, notes := PinGateway([]string{"python=3.12", "dask-gateway", "dask-gateway>=2024.1"}, "2026.3.0", "=")
	if want := []string{"python=3.12", "dask-gateway=2026.3.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(notes) != 2 {
		t.Errorf("notes: %q", notes)
	}
	got, notes = PinGateway([]string{"dask-gateway==2026.3.0", "dask_gateway==2023.1.0"}, "2026.3.0", "==")
	if want := []string{"dask-gateway==2026.3.0"}; !reflect.DeepEqual(got, want) || len(notes) != 1 {
		t.Errorf("got %q %q, want %q", got, notes, want)
	}
}

func TestConvertStart(t *testing.T) {
	start, rest := ConvertStart([]byte(`#!/bin/bash
set -euo pipefail
# data
export DATA='/home/jovyan/data'
export GREETING="hello world"
export BARE=value
export PATH="$HOME/bin:$PATH"
export lower=x
source activate notebook
exec "$@"
`), varRE.MatchString)
	if want := map[string]string{"DATA": "/home/jovyan/data", "GREETING": "hello world", "BARE": "value"}; !reflect.DeepEqual(start, want) {
		t.Errorf("start: got %v, want %v", start, want)
	}
	if want := []string{`export PATH="$HOME/bin:$PATH"`, "export lower=x", "source activate notebook"}; !reflect.DeepEqual(rest, want) {
		t.Errorf("rest: got %q, want %q", rest, want)
	}
}

func TestConvertPostBuild(t *testing.T) {
	lines, notes := ConvertPostBuild([]byte("#!/usr/bin/env bash\nset -e\n\n  pip install .  \r\njupyter lab build\n"))
	if want := []string{"set -e", "  pip install .", "jupyter lab build"}; !reflect.DeepEqual(lines, want) || notes != nil {
		t.Errorf("got %q %q, want %q", lines, notes, want)
	}
	lines, notes = ConvertPostBuild([]byte("#!/usr/bin/env python\nprint(1)\n"))
	if lines != nil || len(notes) != 1 {
		t.Errorf("python postBuild: got %q %q", lines, notes)
	}
}

func TestConvertAptDockerfileRuntimeRequirements(t *testing.T) {
	apt, notes := ConvertApt([]byte("gdal-bin # GDAL\n\n# tools\nvim vim\nBad_Name\n"), aptRE.MatchString)
	if want := []string{"gdal-bin", "vim"}; !reflect.DeepEqual(apt, want) || len(notes) != 1 {
		t.Errorf("apt: got %q %q", apt, notes)
	}
	ref := regexp.MustCompile(`^[a-z0-9./-]+:[A-Za-z0-9_.-]+$`).MatchString
	base, notes := ConvertDockerfile([]byte("# base\nFROM --platform=linux/amd64 pangeo/pangeo-notebook-onbuild:2025.11.13 AS base\nRUN echo \\\n  hi\n"), ref)
	if base != "pangeo/pangeo-notebook-onbuild:2025.11.13" || len(notes) != 1 {
		t.Errorf("Dockerfile: got %q %q", base, notes)
	}
	if base, notes := ConvertDockerfile([]byte("FROM ubuntu\n"), ref); base != "" || len(notes) != 1 {
		t.Errorf("untagged FROM: got %q %q", base, notes)
	}
	if spec, notes := ConvertRuntime([]byte("python-3.10\n")); spec != "python=3.10" || notes != nil {
		t.Errorf("runtime.txt: got %q %q", spec, notes)
	}
	if spec, notes := ConvertRuntime([]byte("r-4.1-2022-01-01\n")); spec != "" || len(notes) != 1 {
		t.Errorf("R runtime.txt: got %q %q", spec, notes)
	}
	pip, notes := ConvertRequirements([]byte("# deps\nrequests==2.32.3\n-r other.txt\n\nrequests==2.32.3\n"))
	if want := []string{"requests==2.32.3"}; !reflect.DeepEqual(pip, want) || len(notes) != 1 {
		t.Errorf("requirements.txt: got %q %q", pip, notes)
	}
}
