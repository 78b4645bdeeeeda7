// Package registry asks a container registry whether an image is there: a
// HEAD of its manifest with go-containerregistry and the docker keychain
// (docker's config.json and its credential helpers: gcloud, ECR, ACR).
//
// The answer is yes, no, or an *Error: "could not tell" (the registry
// refused access, could not be reached, or kept failing). An image is
// absent only when the registry says so (404, MANIFEST_UNKNOWN,
// NAME_UNKNOWN), never because a lookup failed: a caller that builds or
// deploys on "absent" must not be misled.
package registry

import (
	"context"
	"errors"
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/retry"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// DefaultRetryDelays are the waits between the tries of a lookup when
// Options.RetryDelays is nil: four tries in all (as internal/pin).
var DefaultRetryDelays = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// DefaultTryTimeout bounds one try when Options.TryTimeout is 0.
const DefaultTryTimeout = 30 * time.Second

// Options tune Exists. The zero value is ready to use.
type Options struct {
	// Keychain gives registry credentials; nil is authn.DefaultKeychain.
	Keychain authn.Keychain
	// Transport is the HTTP transport; nil is remote.DefaultTransport.
	Transport http.RoundTripper
	// RetryDelays are the waits between the tries of a lookup that failed
	// transiently (registry unreachable, 5xx, 429, timeouts); nil is
	// DefaultRetryDelays, an empty slice tries once.
	RetryDelays []time.Duration
	// TryTimeout bounds each try; 0 is DefaultTryTimeout.
	TryTimeout time.Duration
}

// Kind is why the registry could not tell.
type Kind int

const (
	// Network: the registry was unreachable, timed out or kept failing
	// (5xx, 429), every try.
	Network Kind = iota
	// Auth: the registry refused access (401, 403).
	Auth
	// Other: anything else (a bad reference, an unexpected answer).
	Other
)

func (k Kind) String() string {
	switch k {
	case Network:
		return "network"
	case Auth:
		return "auth"
	}
	return "other"
}

// Error is the registry's failure to tell whether an image is there.
type Error struct {
	Image    string // the reference as given
	Registry string // the registry's host, "" when the reference is bad
	Kind     Kind
	Err      error // the last lookup error
}

func (e *Error) Error() string {
	switch e.Kind {
	case Auth:
		return fmt.Sprintf("image %s: registry %s refused access (%v): log in to it (docker login %s, or the cloud's credential helper) or check the image's name; cannot tell whether the image exists", e.Image, e.Registry, e.Err, e.Registry)
	case Network:
		return fmt.Sprintf("image %s: registry %s is unreachable or failing: %v; cannot tell whether the image exists", e.Image, e.Registry, e.Err)
	}
	if e.Registry == "" {
		return fmt.Sprintf("image %s: %v", e.Image, e.Err)
	}
	return fmt.Sprintf("image %s: registry %s: %v; cannot tell whether the image exists", e.Image, e.Registry, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Exists reports whether the registry has the manifest (or index) that
// image names, by tag or digest. Every error is an *Error.
func Exists(ctx context.Context, image string, o Options) (bool, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return false, &Error{Image: image, Kind: Other, Err: err}
	}
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	rt := o.Transport
	if rt == nil {
		rt = remote.DefaultTransport
	}
	timeout := o.TryTimeout
	if timeout <= 0 {
		timeout = DefaultTryTimeout
	}
	delays := o.RetryDelays
	if delays == nil {
		delays = DefaultRetryDelays
	}
	head := func() error {
		tctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := remote.Head(ref,
			remote.WithContext(tctx),
			remote.WithAuthFromKeychain(kc),
			remote.WithTransport(rt),
			remote.WithUserAgent("pangeo-gen"),
			// No retries of its own: the loop below does them.
			remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
			remote.WithRetryPredicate(func(error) bool { return false }),
		)
		return err
	}
	fail := func(err error) (bool, error) {
		e := &Error{Image: image, Registry: ref.Context().RegistryStr(), Kind: Other, Err: err}
		var te *transport.Error
		switch {
		case errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden):
			e.Kind = Auth
		case Transient(err):
			e.Kind = Network
		}
		return false, e
	}
	found := false
	err = Retry(ctx, delays, func() error {
		err := head()
		switch {
		case err == nil:
			found = true
			return nil
		case absent(err):
			return nil
		}
		return err
	})
	if err != nil {
		return fail(err)
	}
	return found, nil
}

// Retry calls f as retry.Do does, retrying what Transient accepts.
func Retry(ctx context.Context, delays []time.Duration, f func() error) error {
	return retry.Do(ctx, delays, Transient, f)
}

// absent reports whether err is the registry saying it has no such
// manifest or repository.
func absent(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}

// Transient reports whether a registry error may go away when tried again:
// 5xx, 429 and 408 answers, refused or reset connections, cut responses
// and timeouts.
func Transient(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		c := te.StatusCode
		return c >= 500 || c == http.StatusTooManyRequests || c == http.StatusRequestTimeout
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
