package gen

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sort"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// tagLength is the length of an image tag before it is lengthened.
const tagLength = 12

// tagDomain starts the hashed stream, so that a change of the framing below
// changes every tag instead of colliding with an old one.
const tagDomain = "pangeo-gen image tag v1\x00"

// ImageTag is the content hash of an image folder: sha256 over every file's
// path (relative to deployments/<hub>/image/), mode and bytes, in path
// order, each field length-prefixed so that no two folders hash the same
// stream; hex, shortened to 12 characters and lengthened (like hubploy)
// until it holds a letter and no YAML reader takes it for a number, so
// Helm never turns it into one ("123e45" is a float to YAML).
//
// Files outside an image folder count with their full path. The tag does
// not depend on the hub's name: equal folders build equal images.
func ImageTag(files []File) string {
	sorted := make([]File, len(files))
	copy(sorted, files)
	sort.SliceStable(sorted, func(i, j int) bool {
		return imageRelPath(sorted[i].Path) < imageRelPath(sorted[j].Path)
	})
	h := sha256.New()
	h.Write([]byte(tagDomain))
	writeUint(h, uint64(len(sorted)))
	for _, f := range sorted {
		writeField(h, []byte(imageRelPath(f.Path)))
		writeUint(h, uint64(f.Mode))
		writeField(h, f.Data)
	}
	return shortenTag(hex.EncodeToString(h.Sum(nil)))
}

// imageRelPath is p relative to its deployments/<hub>/image/ folder, or p
// itself when p is not in one.
func imageRelPath(p string) string {
	parts := strings.SplitN(p, "/", 4)
	if len(parts) == 4 && parts[0] == Deployments && parts[2] == "image" {
		return parts[3]
	}
	return p
}

func writeUint(h hash.Hash, n uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	h.Write(b[:])
}

func writeField(h hash.Hash, data []byte) {
	writeUint(h, uint64(len(data)))
	h.Write(data)
}

// shortenTag cuts a hex digest to tagLength characters and lengthens the
// cut one character at a time until it is a safe tag. A digest with no
// safe prefix at all (all digits) gets a 'g', which no hex digest holds.
func shortenTag(digest string) string {
	for n := tagLength; n <= len(digest); n++ {
		if safeTag(digest[:n]) {
			return digest[:n]
		}
	}
	cut := digest
	if len(cut) > tagLength {
		cut = cut[:tagLength]
	}
	return cut + "g"
}

// safeTag reports whether tag holds a letter and reads as a string, not a
// number, to both YAML readers Helm users meet: YAML 1.1 (sigs.k8s.io/yaml,
// which Helm uses) and YAML 1.2 (gopkg.in/yaml.v3).
func safeTag(tag string) bool {
	if !strings.ContainsAny(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return false
	}
	var v3 any
	if err := yamlv3.Unmarshal([]byte(tag), &v3); err != nil {
		return false
	}
	if _, ok := v3.(string); !ok {
		return false
	}
	var k8s any
	if err := k8syaml.Unmarshal([]byte(tag), &k8s); err != nil {
		return false
	}
	_, ok := k8s.(string)
	return ok
}

// NotebookImage returns the notebook (and Dask worker) image:
// repository:ImageTag(files) for a built image, the prebuilt reference
// otherwise. files are the image folder, as ImageFiles returns it.
func NotebookImage(h *hub.Hub, files []File) ImageRef {
	if !h.Image.Built() {
		return ParseImageRef(h.Image.Prebuilt)
	}
	return ImageRef{Name: h.Image.Repository, Tag: ImageTag(files)}
}
