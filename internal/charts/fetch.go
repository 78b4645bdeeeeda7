package charts

import (
	"context"
	"errors"
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/retry"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"sigs.k8s.io/yaml"
)

// Size limits of what is read from a repository.
const (
	maxIndex   = 256 << 20 // index.yaml: large repositories have tens of MiB
	maxPackage = 256 << 20 // one chart package
)

var defaultHTTP = &http.Client{
	Timeout: 10 * time.Minute,
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	},
}

func (c *Cache) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// download fetches ref's package into a temporary file of dir and returns
// the file, its digest and the URL it came from.
func (c *Cache) download(ctx context.Context, ref Ref, dir string, o getOptions) (tmp, digest, from string, err error) {
	if isOCI(ref.Repository) {
		return c.pullOCI(ctx, ref, dir)
	}
	idx, err := c.index(ctx, ref.Repository, o)
	if err != nil {
		return "", "", "", err
	}
	cv, err := idx.find(ref.Name, ref.Version)
	if err != nil {
		return "", "", "", err
	}
	u, err := chartURL(ref.Repository, cv)
	if err != nil {
		return "", "", "", err
	}
	err = c.retry(ctx, func() error {
		body, err := c.open(ctx, u)
		if err != nil {
			return err
		}
		defer body.Close()
		tmp, digest, err = writeTemp(dir, ref.Name+"-"+ref.Version+".tgz", &limitReader{r: body, max: maxPackage})
		return err
	})
	if err != nil {
		return "", "", "", fmt.Errorf("download %s: %w", redact(u), err)
	}
	// Helm's index records the package's sha256 in hex.
	if cv.Digest != "" && "sha256:"+strings.ToLower(cv.Digest) != digest {
		os.Remove(tmp)
		return "", "", "", fmt.Errorf("%w: index.yaml says sha256:%s, downloaded %s from %s (nothing cached)", ErrDigest, cv.Digest, digest, redact(u))
	}
	return tmp, digest, u, nil
}

// indexFile is the part of a Helm repository's index.yaml that is read:
// repo.IndexFile's, without helm's repo package and its dependencies.
type indexFile struct {
	APIVersion string                    `json:"apiVersion"`
	Entries    map[string][]indexVersion `json:"entries"`
}

// indexVersion is one chart version of an index (repo.ChartVersion).
type indexVersion struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	URLs    []string `json:"urls"`
	Digest  string   `json:"digest,omitempty"`
	Removed bool     `json:"removed,omitempty"`
}

// index fetches and parses <repo>/index.yaml, once per o.indexes.
func (c *Cache) index(ctx context.Context, repo string, o getOptions) (*indexFile, error) {
	if idx := o.indexes[repo]; idx != nil {
		return idx, nil
	}
	u := repo + "/index.yaml"
	var b []byte
	err := c.retry(ctx, func() error {
		body, err := c.open(ctx, u)
		if err != nil {
			return err
		}
		defer body.Close()
		b, err = io.ReadAll(&limitReader{r: body, max: maxIndex})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redact(u), err)
	}
	var idx indexFile
	if err := yaml.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", redact(u), err)
	}
	if idx.APIVersion == "" {
		return nil, fmt.Errorf("%s: not a chart repository index (no apiVersion)", redact(u))
	}
	if o.indexes != nil {
		o.indexes[repo] = &idx
	}
	return &idx, nil
}

// find returns the entry of chart name at exactly version.
func (idx *indexFile) find(name, version string) (indexVersion, error) {
	vs, ok := idx.Entries[name]
	if !ok || len(vs) == 0 {
		return indexVersion{}, fmt.Errorf("repository has no chart %q: %w", name, ErrNotFound)
	}
	for _, v := range vs {
		if v.Version == version && !v.Removed {
			if len(v.URLs) == 0 {
				return indexVersion{}, fmt.Errorf("index.yaml lists no URL for %s %s", name, version)
			}
			return v, nil
		}
	}
	var have []string
	for _, v := range vs {
		if !v.Removed {
			have = append(have, v.Version)
		}
	}
	return indexVersion{}, fmt.Errorf("version %s %w in the repository; it has %s", version, ErrNotFound, latest(have, 5))
}

// latest lists at most n of the highest versions, for error messages.
func latest(versions []string, n int) string {
	var vs []*semver.Version
	for _, s := range versions {
		if v, err := semver.NewVersion(s); err == nil {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return "no valid version"
	}
	sort.Sort(sort.Reverse(semver.Collection(vs)))
	var out []string
	for i, v := range vs {
		if i == n {
			out = append(out, "...")
			break
		}
		out = append(out, v.Original())
	}
	return strings.Join(out, ", ")
}

// chartURL resolves a package URL of an index against the repository URL, as
// Helm does: relative to the repository's folder.
func chartURL(repo string, cv indexVersion) (string, error) {
	base, err := url.Parse(repo + "/")
	if err != nil {
		return "", fmt.Errorf("repository URL: %w", err)
	}
	u, err := base.Parse(cv.URLs[0])
	if err != nil {
		return "", fmt.Errorf("index.yaml URL %q: %w", cv.URLs[0], err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("index.yaml URL %q is not http(s)", cv.URLs[0])
	}
	return u.String(), nil
}

// statusError is an HTTP response other than 200.
type statusError struct {
	Code   int
	Status string
}

func (e *statusError) Error() string { return "server said " + e.Status }

// Is makes a 404 ErrNotFound.
func (e *statusError) Is(target error) bool {
	return target == ErrNotFound && e.Code == http.StatusNotFound
}

// open GETs u and returns the body of a 200 response.
func (c *Cache) open(ctx context.Context, u string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "pangeo-gen")
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, &statusError{Code: resp.StatusCode, Status: resp.Status}
	}
	return resp.Body, nil
}

// retry calls f as retry.Do does, with the cache's delays, retrying what
// transient accepts.
func (c *Cache) retry(ctx context.Context, f func() error) error {
	delays := c.RetryDelays
	if delays == nil {
		delays = DefaultRetryDelays
	}
	return retry.Do(ctx, delays, transient, f)
}

// transient reports whether err may go away when tried again.
func transient(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return retryableStatus(se.Code)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return retryableStatus(te.StatusCode)
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func retryableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

// limitReader fails, rather than truncates, past max bytes.
type limitReader struct {
	r   io.Reader
	max int64
	n   int64 // read so far
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n >= l.max {
		var one [1]byte
		m, err := l.r.Read(one[:])
		if m > 0 {
			return 0, fmt.Errorf("larger than %d MiB", l.max>>20)
		}
		return 0, err
	}
	if int64(len(p)) > l.max-l.n {
		p = p[:l.max-l.n]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}
