package hubimport

import (
	"fmt"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/hubfile"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

// oldMountHackImage is the unpinned image the old hubs' volume-mount-hack
// init container ran; gen runs the same container on a pinned busybox.
const oldMountHackImage = "busybox"

// liftStorage maps the old umbrella chart's NFS home folders onto the
// typed storage: homeDirectories.nfs (serverIP, serverPath: the old chart
// made a PersistentVolume of the export and a claim for it) with the
// jupyterhub chart's static storage on that claim (static.pvcName,
// static.subPath) become storage {type: "nfs", server, path, claim,
// subPath}, which gen turns into the same objects (deployments/chart's
// home-nfs.yaml, the same claim name, sub path and mount path). What the
// typed field generates is dropped from the raw values; what does not map
// stays a loss, by file and key.
func (im *importer) liftStorage() {
	const common = "config/common.yaml"
	for _, env := range []string{"staging", "prod"} {
		if _, ok := im.homeDirs[env]; ok {
			im.loss("config/"+env+".yaml", "homeDirectories", "the old umbrella chart's NFS homes of one environment: storage is the hub's, in every environment")
		}
	}
	hd, ok := im.homeDirs["common"]
	if !ok {
		return
	}
	nfs, _ := values.Get(hd, "nfs")
	nm, _ := nfs.(map[string]any)
	if hm, ok := hd.(map[string]any); !ok || len(hm) != 1 || nm == nil {
		im.loss(common, "homeDirectories", hubfile.ShowJSON(hd)+": not the old umbrella chart's homeDirectories.nfs: not imported")
		return
	}
	if enabled, _ := nm["enabled"].(bool); !enabled {
		// The old chart's default, and the generated chart's: no claim.
		for k := range nm {
			if k != "enabled" && k != "serverName" && k != "serverIP" && k != "serverPath" {
				im.loss(common, "homeDirectories.nfs."+k, "not a key of the old umbrella chart's homeDirectories.nfs")
			}
		}
		im.res.Normalized = append(im.res.Normalized, Loss{common, "homeDirectories.nfs", "disabled, the generated chart's default: no NFS claim"})
		return
	}
	server, _ := nm["serverIP"].(string)
	export, _ := nm["serverPath"].(string)
	su := func(k ...string) any {
		return values.Lookup(im.raw["common"], append([]string{"jupyterhub", "singleuser", "storage"}, k...)...)
	}
	claim, _ := su("static", "pvcName").(string)
	subPath, _ := su("static", "subPath").(string)
	if subPath == "" {
		subPath = "{username}"
	}
	st := &hubfile.Object{}
	st.Set("type", "nfs")
	st.Set("server", server)
	st.Set("path", export)
	st.Set("subPath", subPath)
	if claim != "" {
		st.Set("claim", claim)
	}
	plain := map[string]any{"type": "nfs", "server": server, "path": export, "subPath": subPath}
	if claim != "" {
		plain["claim"] = claim
	}
	switch {
	case su("type") != "static" || claim == "":
		im.loss(common, "homeDirectories", "the old umbrella chart's NFS export, but singleuser.storage is not static storage on a claim: not imported")
		return
	case !im.e.Valid("#NFSStorage", plain):
		im.loss(common, "homeDirectories", hubfile.ShowJSON(nm)+": not a storage the schema takes ("+hubfile.ShowJSON(plain)+")")
		return
	}
	for k := range nm {
		switch k {
		case "enabled", "serverIP", "serverPath":
		case "serverName":
			im.res.Normalized = append(im.res.Normalized, Loss{common, "homeDirectories.nfs.serverName", fmt.Sprintf("%s: left out, the file share's name, which mounting the export does not use (serverIP and serverPath do)", hubfile.ShowJSON(nm[k]))})
		default:
			im.loss(common, im.keyOf([]string{"homeDirectories", "nfs", k}), "not a key of the old umbrella chart's homeDirectories.nfs")
		}
	}
	f := im.body.Set("storage", st)
	f.Section = true
	im.storage = &hub.Storage{Type: "nfs", Server: server, Path: export, SubPath: subPath, Claim: claim}
	f.Doc = []string{"From homeDirectories.nfs and singleuser.storage.static of config/common.yaml."}

	raw := im.raw["common"]
	pruneIf(raw, "static", "jupyterhub", "singleuser", "storage", "type")
	pruneIf(raw, claim, "jupyterhub", "singleuser", "storage", "static", "pvcName")
	pruneIf(raw, values.Lookup(raw, "jupyterhub", "singleuser", "storage", "static", "subPath"), "jupyterhub", "singleuser", "storage", "static", "subPath")
	pruneIf(raw, "/home/jovyan", "jupyterhub", "singleuser", "storage", "homeMountPath")
	// The old hubs' own volume-mount-hack init container is gen's for NFS
	// homes, on an unpinned busybox.
	if l, ok := values.Lookup(raw, "jupyterhub", "singleuser", "initContainers").([]any); ok && len(l) == 1 {
		want := map[string]any{
			"name": "volume-mount-hack", "image": oldMountHackImage,
			"command":         []any{"sh", "-c", "id && chown 1000:1000 /home/jovyan && ls -lhd /home/jovyan"},
			"securityContext": map[string]any{"runAsUser": 0},
			"volumeMounts":    []any{map[string]any{"name": "home", "mountPath": "/home/jovyan", "subPath": subPath}},
		}
		if sameData(l[0], want) {
			pruneIf(raw, l, "jupyterhub", "singleuser", "initContainers")
			im.res.Normalized = append(im.res.Normalized, Loss{common, im.keyOf([]string{"jupyterhub", "singleuser", "initContainers"}),
				"the volume-mount-hack of NFS homes, which gen writes for storage, the same but for its image: " + oldMountHackImage + " pinned to a release"})
		}
	}
}
