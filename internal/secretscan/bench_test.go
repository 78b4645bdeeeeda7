package secretscan

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScan scans every file of the repository's generated
// deployments/ tree once per op: what vet's secret check reads.
func BenchmarkScan(b *testing.B) {
	var names []string
	var datas [][]byte
	err := filepath.WalkDir(filepath.Join("..", "..", "deployments"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		names, datas = append(names, p), append(datas, data)
		return err
	})
	if err != nil || len(names) == 0 {
		b.Fatalf("deployments/: %d files, %v", len(names), err)
	}
	for b.Loop() {
		for i := range names {
			Scan(names[i], datas[i])
		}
	}
}
