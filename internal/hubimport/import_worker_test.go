package hubimport

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nfsWorkersHub is testdata/nfs-workers, by path: an old hub with NFS
// homes on the old chart's claim whose classic workers mount them too.
func nfsWorkersHub(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	dir := filepath.Join("testdata", "nfs-workers")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestImportWorkerTemplate: a classic worker template whose volumes and
// volumeMounts are what gen writes for the imported NFS storage becomes
// dask.worker.mountStorage: true; the dask pool's node selector and
// restartPolicy Never are gen's own. Any other volume, mount, selector or
// restart policy is a loss that says what differs, and mountStorage is
// not set.
func TestImportWorkerTemplate(t *testing.T) {
	const (
		dc      = "image/binder/dask_config.yaml"
		volKey  = dc + ": kubernetes.worker-template.spec.volumes: "
		mntKey  = dc + ": kubernetes.worker-template.spec.containers[0].volumeMounts: "
		selKey  = dc + ": kubernetes.worker-template.spec.nodeSelector: "
		restKey = dc + ": kubernetes.worker-template.spec.restartPolicy: "
	)
	for _, tc := range []struct {
		name       string
		file       string
		old, new   string
		mount      bool
		losses     []string // prefixes, in order
		normalized []string
	}{
		{name: "the hub's storage", mount: true, normalized: []string{selKey + `{"k8s.dask.org/node-purpose":"worker"}: the dask pool's selector`}},
		{name: "kubernetes' own variable syntax", file: dc, old: "subPath: home/${JUPYTERHUB_USER}", new: "subPath: home/$(JUPYTERHUB_USER)",
			losses: []string{
				mntKey + `[{"mountPath":"/home/jovyan","name":"home","subPath":"home/$(JUPYTERHUB_USER)"}]: not the hub's home storage as dask.worker.mountStorage writes it, [{"mountPath":"/home/jovyan","name":"home","subPath":"home/${JUPYTERHUB_USER}"}]`,
				volKey + `[{"name":"home","persistentVolumeClaim":{"claimName":"home-nfs"}}]: the hub's home storage, but volumeMounts differs`,
			}},
		{name: "the export instead of the claim", file: dc, old: "persistentVolumeClaim:\n            claimName: home-nfs", new: "nfs:\n            server: 10.20.30.40\n            path: /homes",
			losses: []string{
				mntKey + `[{"mountPath":"/home/jovyan","name":"home","subPath":"home/${JUPYTERHUB_USER}"}]: the hub's home storage, but spec.volumes differs`,
				volKey + `[{"name":"home","nfs":{"path":"/homes","server":"10.20.30.40"}}]: not the hub's home storage as dask.worker.mountStorage writes it, [{"name":"home","persistentVolumeClaim":{"claimName":"home-nfs"}}]`,
			}},
		{name: "mounts without volumes", file: dc, old: "      volumes:\n        - name: home\n          persistentVolumeClaim:\n            claimName: home-nfs\n", new: "",
			losses: []string{mntKey + `[{"mountPath":"/home/jovyan","name":"home","subPath":"home/${JUPYTERHUB_USER}"}] without spec.volumes: not the hub's home storage`}},
		{name: "no NFS homes imported", file: "config/common.yaml", old: "homeDirectories:", new: "unusedHomeDirectories:",
			losses: []string{
				"config/common.yaml: unusedHomeDirectories: ",
				mntKey + `[{"mountPath":"/home/jovyan","name":"home","subPath":"home/${JUPYTERHUB_USER}"}]: the workers' own volumes`,
				volKey + `[{"name":"home","persistentVolumeClaim":{"claimName":"home-nfs"}}]: the workers' own volumes`,
			}},
		{name: "another node selector", file: dc, old: "k8s.dask.org/node-purpose: worker", new: "cloud.google.com/gke-nodepool: dask-pool", mount: true,
			losses: []string{selKey + `{"cloud.google.com/gke-nodepool":"dask-pool"}: pangeo-gen places the workers on the hub's dask pool by its selector {"k8s.dask.org/node-purpose":"worker"}`}},
		{name: "another restart policy", file: dc, old: "restartPolicy: Never", new: "restartPolicy: OnFailure", mount: true,
			losses: []string{restKey + `"OnFailure": pangeo-gen's workers are never restarted`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := nfsWorkersHub(t)
			if tc.file != "" {
				if !strings.Contains(files[tc.file], tc.old) {
					t.Fatalf("%s lacks %q", tc.file, tc.old)
				}
				files[tc.file] = strings.Replace(files[tc.file], tc.old, tc.new, 1)
			}
			root, _ := importFixture(t, files)
			t.Chdir(root)
			res, err := runImport(t, root, "old/tiny")
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, got []Loss, want []string) {
				t.Helper()
				var strs []string
				for _, l := range got {
					if strings.HasPrefix(l.File, "image/binder/dask_config.yaml") || strings.Contains(l.Key, "omeDirectories") {
						strs = append(strs, l.String())
					}
				}
				ok := len(strs) == len(want)
				for i := 0; ok && i < len(want); i++ {
					ok = strings.HasPrefix(strs[i], want[i])
				}
				if !ok {
					t.Errorf("%s:\n%s\nwant (prefixes):\n%s", what, strings.Join(strs, "\n"), strings.Join(want, "\n"))
				}
			}
			check("losses", res.Losses, tc.losses)
			if tc.normalized != nil {
				check("normalized", res.Normalized, tc.normalized)
			}
			if got := strings.Contains(string(res.Data), "\t\t\tmountStorage: true\n"); got != tc.mount {
				t.Errorf("mountStorage: true in the file: %v, want %v\n%s", got, tc.mount, res.Data)
			}
		})
	}
}
