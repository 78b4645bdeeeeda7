package gen

import (
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/values"
)

func TestHubployFile(t *testing.T) {
	awsKey := fxAWS()
	awsKey.Cloud.RoleARN = ""
	tests := []struct {
		name string
		h    *hub.Hub
		want map[string]any
	}{
		{"gcp", fxGCP(), map[string]any{
			"images": map[string]any{
				"image_name":        "us-central1-docker.pkg.dev/pangeo-ocean/hubs/alpha-notebook",
				"image_config_path": "jupyterhub.singleuser.image",
				"registry": map[string]any{
					"provider": "gcloud",
					"gcloud":   map[string]any{"project": "pangeo-ocean", "service_key": "gcloud-service-key.json"},
				},
			},
			"cluster": map[string]any{
				"provider": "gcloud",
				"gcloud": map[string]any{
					"project": "pangeo-ocean", "cluster": "pangeo-ocean", "zone": "us-central1-b",
					"service_key": "gcloud-service-key.json",
				},
			},
		}},
		{"aws with role", fxAWS(), map[string]any{
			"images": map[string]any{
				"image_name":        "783380859522.dkr.ecr.us-west-2.amazonaws.com/pangeo-glaciers",
				"image_config_path": "jupyterhub.singleuser.image",
				"registry": map[string]any{
					"provider": "aws",
					"aws": map[string]any{
						"account_id": "783380859522", "region": "us-west-2",
						"role_arn": "arn:aws:iam::783380859522:role/pangeo-glaciers-deployer",
					},
				},
			},
			"cluster": map[string]any{
				"provider": "aws",
				"aws": map[string]any{
					"account_id": "783380859522", "region": "us-west-2", "cluster": "pangeo-glaciers",
					"role_arn": "arn:aws:iam::783380859522:role/pangeo-glaciers-deployer",
				},
			},
		}},
		{"aws with key", awsKey, map[string]any{
			"images": map[string]any{
				"image_name":        "783380859522.dkr.ecr.us-west-2.amazonaws.com/pangeo-glaciers",
				"image_config_path": "jupyterhub.singleuser.image",
				"registry": map[string]any{
					"provider": "aws",
					"aws":      map[string]any{"account_id": "783380859522", "region": "us-west-2", "service_key": "aws-config.txt"},
				},
			},
			"cluster": map[string]any{
				"provider": "aws",
				"aws": map[string]any{
					"account_id": "783380859522", "region": "us-west-2", "cluster": "pangeo-glaciers",
					"service_key": "aws-config.txt",
				},
			},
		}},
		{"azure", fxAzure(), map[string]any{
			"images": map[string]any{
				"image_name":        "pangeoatmos.azurecr.io/charlie-notebook",
				"image_config_path": "jupyterhub.singleuser.image",
				"registry": map[string]any{
					"provider": "azure",
					"azure":    map[string]any{"resource_group": "pangeo-atmos", "registry": "pangeoatmos", "auth_file": "azure-auth.yaml"},
				},
			},
			"cluster": map[string]any{
				"provider": "azure",
				"azure":    map[string]any{"resource_group": "pangeo-atmos", "cluster": "pangeo-atmos", "auth_file": "azure-auth.yaml"},
			},
		}},
		{"prebuilt", fxPrebuilt(), map[string]any{
			"cluster": map[string]any{
				"provider": "gcloud",
				"gcloud": map[string]any{
					"project": "pangeo-ocean", "cluster": "pangeo-ocean", "zone": "us-central1-b",
					"service_key": "gcloud-service-key.json",
				},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := HubployFile(tt.h)
			if err != nil {
				t.Fatal(err)
			}
			if want := "deployments/" + tt.h.Name + "/hubploy.yaml"; f.Path != want || f.Mode != 0o644 || f.Stub {
				t.Errorf("file %s mode %o stub %v", f.Path, f.Mode, f.Stub)
			}
			if !strings.HasPrefix(string(f.Data), HashHeader(tt.h)) {
				t.Errorf("no header: %q", fxFirstLines(f.Data, 1))
			}
			var got map[string]any
			if err := yaml.Unmarshal(f.Data, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("hubploy.yaml\n got %v\nwant %v\n%s", got, tt.want, f.Data)
			}
			again, _ := HubployFile(tt.h)
			if string(again.Data) != string(f.Data) {
				t.Errorf("not deterministic")
			}
		})
	}
}

// TestHubployFileMatchesReference checks the GCP file has the shape of the
// hand-written hubploy.yaml of pangeo-cloud-federation (same keys at every
// level; only the image config path differs: daskhub nests its values).
func TestHubployFileMatchesReference(t *testing.T) {
	ref := fxReadYAML(t, shareddata.Path(t, "reference/pangeo-cloud-federation/2024-02/deployments/gcp-uscentral1b/hubploy.yaml"))
	f, err := HubployFile(fxGCP())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(f.Data, &got); err != nil {
		t.Fatal(err)
	}
	refPaths, gotPaths := map[string]bool{}, map[string]bool{}
	fxYAMLPaths(ref, "", 5, refPaths)
	fxYAMLPaths(got, "", 5, gotPaths)
	if !reflect.DeepEqual(refPaths, gotPaths) {
		t.Errorf("key paths differ from the reference\n got %v\nwant %v", fxKeys(gotPaths), fxKeys(refPaths))
	}
	if values.Lookup(ref, "images", "image_config_path") != "daskhub."+ImageConfigPath {
		t.Errorf("reference image_config_path changed: %v", values.Lookup(ref, "images", "image_config_path"))
	}
}

func TestHubployFileErrors(t *testing.T) {
	h := fxGCP()
	h.Cloud.Provider = "openstack"
	if _, err := HubployFile(h); err == nil || !strings.Contains(err.Error(), "alpha") {
		t.Errorf("unknown provider: err = %v", err)
	}
}

func TestCredentialFile(t *testing.T) {
	awsKey := fxAWS()
	awsKey.Cloud.RoleARN = ""
	for _, tt := range []struct {
		h    *hub.Hub
		want string
	}{{fxGCP(), "gcloud-service-key.json"}, {fxAWS(), ""}, {awsKey, "aws-config.txt"}, {fxAzure(), "azure-auth.yaml"}} {
		if got, err := CredentialFile(tt.h); err != nil || got != tt.want {
			t.Errorf("CredentialFile(%s/%s) = %q, %v; want %q", tt.h.Name, tt.h.Cloud.Provider, got, err, tt.want)
		}
	}
}
