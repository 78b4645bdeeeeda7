package hubdiff

import (
	"strconv"
	"strings"
	"testing"
)

const (
	ns = `apiVersion: v1
kind: Namespace
metadata:
  name: a-staging
`
	cm = `apiVersion: v1
kind: ConfigMap
metadata:
  name: hub
  namespace: a-staging
data:
  mem: 8G
`
	dep = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hub
  namespace: a-staging
spec:
  replicas: 1
`
	secret = `apiVersion: v1
kind: Secret
metadata:
  name: hub
  namespace: a-staging
data:
  token: c2VjcmV0
stringData:
  password: hunter2
`
)

func stream(docs ...string) []byte { return []byte(strings.Join(docs, "---\n")) }

func TestStreams(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to []byte
		want     string
	}{
		{"unchanged", stream(ns, cm, dep), stream(dep, ns, cm), ""},
		{"both empty", nil, nil, ""},
		{
			"changed field",
			stream(ns, cm), stream(ns, strings.Replace(cm, "8G", "10G", 1)),
			`--- A ConfigMap/a-staging/hub
+++ B ConfigMap/a-staging/hub
@@ -1,6 +1,6 @@
 apiVersion: v1
 data:
-  mem: 8G
+  mem: 10G
 kind: ConfigMap
 metadata:
   name: hub
`,
		},
		{
			"added object",
			stream(ns), stream(ns, dep),
			`--- A Deployment/a-staging/hub
+++ B Deployment/a-staging/hub
@@ -0,0 +1,7 @@
+apiVersion: apps/v1
+kind: Deployment
+metadata:
+  name: hub
+  namespace: a-staging
+spec:
+  replicas: 1
`,
		},
		{
			"removed object",
			stream(ns), nil,
			`--- A Namespace/a-staging
+++ B Namespace/a-staging
@@ -1,4 +0,0 @@
-apiVersion: v1
-kind: Namespace
-metadata:
-  name: a-staging
`,
		},
		{
			"secret masked, data and stringData",
			stream(secret), stream(strings.Replace(strings.Replace(secret, "hunter2", "hunter3", 1), "c2VjcmV0", "c2VjcmV1", 1)),
			`--- A Secret/a-staging/hub
+++ B Secret/a-staging/hub
@@ -1,9 +1,9 @@
 apiVersion: v1
 data:
-  token: ` + Mask("c2VjcmV0") + `
+  token: ` + Mask("c2VjcmV1") + `
 kind: Secret
 metadata:
   name: hub
   namespace: a-staging
 stringData:
-  password: ` + Mask("hunter2") + `
+  password: ` + Mask("hunter3") + `
`,
		},
		{"secret unchanged", stream(secret), stream(secret), ""},
		{
			"secret holding a configuration file: its keys show, each leaf masked",
			stream(valuesSecret("c2luZ2xldXNlcjoKICBtZW1vcnk6CiAgICBsaW1pdDogOEcKaHViOgogIGNvb2tpZVNlY3JldDogaHVudGVyMgo=", "x: [hunter2]")), stream(valuesSecret("c2luZ2xldXNlcjoKICBtZW1vcnk6CiAgICBsaW1pdDogMTBHCmh1YjoKICBjb29raWVTZWNyZXQ6IGh1bnRlcjIK", "x: [hunter2]")),
			`--- A Secret/a-staging/hub
+++ B Secret/a-staging/hub
@@ -5,7 +5,7 @@
       cookieSecret: ` + Mask("hunter2") + `
     singleuser:
       memory:
-        limit: ` + Mask("8G") + `
+        limit: ` + Mask("10G") + `
 kind: Secret
 metadata:
   name: hub
`,
		},
		{
			"a .yaml key that is not a mapping, and a key that is not a file, are masked whole",
			stream(valuesSecret("aHVudGVyMg==", "x")), stream(valuesSecret("aHVudGVyMw==", "y: hunter2")),
			`--- A Secret/a-staging/hub
+++ B Secret/a-staging/hub
@@ -1,9 +1,9 @@
 apiVersion: v1
 data:
-  values.yaml: ` + Mask("aHVudGVyMg==") + `
+  values.yaml: ` + Mask("aHVudGVyMw==") + `
 kind: Secret
 metadata:
   name: hub
   namespace: a-staging
 stringData:
-  password: ` + Mask("x") + `
+  password: ` + Mask("y: hunter2") + `
`,
		},
		{
			"deterministic order: kind order, then name",
			nil, stream(strings.Replace(dep, "name: hub", "name: b", 1), cm, strings.Replace(dep, "name: hub", "name: a", 1), ns),
			"Namespace/a-staging ConfigMap/a-staging/hub Deployment/a-staging/a Deployment/a-staging/b",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Streams("A", "B", tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tc.name, "deterministic") {
				var ids []string
				for _, l := range strings.Split(got, "\n") {
					if id, ok := strings.CutPrefix(l, "+++ B "); ok {
						ids = append(ids, id)
					}
				}
				got = strings.Join(ids, " ")
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			for _, s := range []string{"hunter", "c2VjcmV", "aHVudGVy"} {
				if strings.Contains(got, s) {
					t.Errorf("the secret value %s shows:\n%s", s, got)
				}
			}
		})
	}
}

// valuesSecret is a Secret as the jupyterhub chart writes its hub's
// values: data values.yaml (base64), and a stringData password.
func valuesSecret(valuesBase64, password string) string {
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hub\n  namespace: a-staging\ndata:\n  values.yaml: " + valuesBase64 + "\nstringData:\n  password: " + strconv.Quote(password) + "\n"
}

func TestMask(t *testing.T) {
	if a, b := Mask("x"), Mask("x"); a != b {
		t.Errorf("Mask is not stable: %s, %s", a, b)
	}
	if Mask("x") == Mask("y") {
		t.Error("Mask hides a change")
	}
	if got := Mask("hunter2"); !strings.HasPrefix(got, "<masked sha256:") || len(got) != len("<masked sha256:12345678>") {
		t.Errorf("Mask = %s", got)
	}
}

func TestStreamsBadYAML(t *testing.T) {
	if _, err := Streams("A", "B", []byte("a: [\n"), nil); err == nil || !strings.Contains(err.Error(), "A: document 1") {
		t.Errorf("err = %v", err)
	}
}

func TestValues(t *testing.T) {
	from := map[string]any{"hub": map[string]any{"token": "t1", "image": "x"}}
	to := map[string]any{"hub": map[string]any{"token": "t2", "image": "x"}}
	secrets := map[string]any{"hub": map[string]any{"token": "anything"}}
	MaskSecrets(from, secrets)
	MaskSecrets(to, secrets)
	got, err := Values("A", "B", from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := `--- A
+++ B
@@ -1,3 +1,3 @@
 hub:
   image: x
-  token: ` + Mask("t1") + `
+  token: ` + Mask("t2") + `
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got, _ := Values("A", "B", to, to); got != "" {
		t.Errorf("unchanged: %q", got)
	}
	if got, _ := Values("A", "B", nil, to); !strings.Contains(got, "@@ -0,0 +1,3 @@") {
		t.Errorf("added: %s", got)
	}
}
