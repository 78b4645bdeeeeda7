package gen

import (
	"fmt"
	"path"

	"github.com/pangeo-data/pangeo-gen/internal/hub"
)

// ImageConfigPath is where in the Helm values hubploy sets the image it
// built (hubploy.yaml images.image_config_path): hubploy deploys with
// --set-string <path>.name=<image> --set-string <path>.tag=<tag>.
const ImageConfigPath = "jupyterhub.singleuser.image"

// Credential files of the providers, relative to deployments/<hub>/secrets/
// (hubploy reads them from there).
const (
	gcloudServiceKeyFile = "gcloud-service-key.json"
	awsConfigFile        = "aws-config.txt"
	azureAuthFile        = "azure-auth.yaml"
)

// CredentialFile is the provider credential file hubploy uses to reach the
// hub's cluster and registry, relative to deployments/<hub>/secrets/: ""
// for an AWS hub with a roleArn (CI assumes the role with its own identity;
// hubploy.yaml says role_arn, no key file exists).
func CredentialFile(h *hub.Hub) (string, error) {
	switch h.Cloud.Provider {
	case "gcp":
		return gcloudServiceKeyFile, nil
	case "aws":
		if h.Cloud.RoleARN != "" {
			return "", nil
		}
		return awsConfigFile, nil
	case "azure":
		return azureAuthFile, nil
	}
	return "", fmt.Errorf("hub %s: unknown cloud provider %q", h.Name, h.Cloud.Provider)
}

// hubployConfig is deployments/<hub>/hubploy.yaml.
type hubployConfig struct {
	Images  *hubployImages  `yaml:"images,omitempty"`
	Cluster hubployProvider `yaml:"cluster"`
}

type hubployImages struct {
	ImageName       string          `yaml:"image_name"`
	ImageConfigPath string          `yaml:"image_config_path"`
	Registry        hubployProvider `yaml:"registry"`
}

type hubployProvider struct {
	Provider string         `yaml:"provider"`
	GCloud   *hubployGCloud `yaml:"gcloud,omitempty"`
	AWS      *hubployAWS    `yaml:"aws,omitempty"`
	Azure    *hubployAzure  `yaml:"azure,omitempty"`
}

type hubployGCloud struct {
	Project    string `yaml:"project"`
	Cluster    string `yaml:"cluster,omitempty"`
	Zone       string `yaml:"zone,omitempty"`
	ServiceKey string `yaml:"service_key"`
}

type hubployAWS struct {
	AccountID  string `yaml:"account_id"`
	Region     string `yaml:"region"`
	Cluster    string `yaml:"cluster,omitempty"`
	ServiceKey string `yaml:"service_key,omitempty"`
	RoleARN    string `yaml:"role_arn,omitempty"`
}

type hubployAzure struct {
	ResourceGroup string `yaml:"resource_group"`
	Registry      string `yaml:"registry,omitempty"`
	Cluster       string `yaml:"cluster,omitempty"`
	AuthFile      string `yaml:"auth_file"`
}

// hubployProviders maps the schema's providers to hubploy's.
var hubployProviders = map[string]string{"gcp": "gcloud", "aws": "aws", "azure": "azure"}

// HubployFile returns deployments/<hub>/hubploy.yaml: the image hubploy
// builds (left out for a prebuilt image) with the registry it pushes to,
// and the cluster it deploys to, with credential files relative to
// deployments/<hub>/secrets/.
func HubployFile(h *hub.Hub) (File, error) {
	c := h.Cloud
	provider, ok := hubployProviders[c.Provider]
	if !ok {
		return File{}, fmt.Errorf("hub %s: hubploy.yaml: unknown cloud provider %q", h.Name, c.Provider)
	}
	cred, err := CredentialFile(h)
	if err != nil {
		return File{}, fmt.Errorf("hubploy.yaml: %w", err)
	}
	cluster := hubployProvider{Provider: provider}
	registry := hubployProvider{Provider: provider}
	switch c.Provider {
	case "gcp":
		cluster.GCloud = &hubployGCloud{Project: c.Project, Cluster: c.Cluster, Zone: c.Location, ServiceKey: cred}
		registry.GCloud = &hubployGCloud{Project: c.Project, ServiceKey: cred}
	case "aws":
		cluster.AWS = &hubployAWS{AccountID: c.AccountID, Region: c.Region, Cluster: c.Cluster, ServiceKey: cred, RoleARN: c.RoleARN}
		registry.AWS = &hubployAWS{AccountID: c.AccountID, Region: c.Region, ServiceKey: cred, RoleARN: c.RoleARN}
	case "azure":
		cluster.Azure = &hubployAzure{ResourceGroup: c.ResourceGroup, Cluster: c.Cluster, AuthFile: cred}
		registry.Azure = &hubployAzure{ResourceGroup: c.ResourceGroup, Registry: c.Registry, AuthFile: cred}
	}
	cfg := hubployConfig{Cluster: cluster}
	if h.Image.Built() {
		cfg.Images = &hubployImages{
			ImageName:       h.Image.Repository,
			ImageConfigPath: ImageConfigPath,
			Registry:        registry,
		}
	}
	data, err := YAML(h, cfg)
	if err != nil {
		return File{}, fmt.Errorf("hub %s: hubploy.yaml: %w", h.Name, err)
	}
	return File{Path: path.Join(HubDir(h.Name), "hubploy.yaml"), Mode: 0o644, Data: data}, nil
}
