package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/rpcctx"
)

// retiringAPI stands between the provider and a mock: it passes every
// request on until retire is called, and from then on answers each one as
// the retired platform is reported to, with a status (401 by default) and
// nothing else, recording what was asked.
type retiringAPI struct {
	*httptest.Server
	status atomic.Int64 // 0: pass requests on to the mock

	mu   sync.Mutex
	seen []string // "METHOD /path" of the requests answered as retired
}

// newRetiringAPI serves mock's API (nil: none, every request is refused
// from the start) on a loopback URL of its own.
func newRetiringAPI(t *testing.T, mock *mockapi.Server) *retiringAPI {
	t.Helper()
	a := &retiringAPI{}
	var next http.Handler
	if mock != nil {
		next = mock.Handler()
	} else {
		a.status.Store(http.StatusUnauthorized)
	}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := int(a.status.Load())
		if status == 0 {
			next.ServeHTTP(w, r)
			return
		}
		a.mu.Lock()
		a.seen = append(a.seen, r.Method+" "+r.URL.Path)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"error":%q}`, http.StatusText(status))
	}))
	t.Cleanup(a.Close)
	return a
}

// apiURL is the URL to give api_url.
func (a *retiringAPI) apiURL() string { return a.URL + mockapi.APIPrefix + "/" }

// retire makes every later request get status (401, 403 or 410).
func (a *retiringAPI) retire(status int) { a.status.Store(int64(status)) }

// unretire passes requests on to the mock again.
func (a *retiringAPI) unretire() { a.status.Store(0) }

func (a *retiringAPI) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.seen)
}

// The retirement as every such diagnostic says it, and the way out, last.
const (
	retiredOn       = "Equinix Metal (formerly Packet)"
	retiredOnDate   = "2026-06-30"
	retirementGuide = `see the guide "Leaving the retired platform" (docs/guides/leaving-the-platform.md)`
)

// retirementError matches the one diagnostic of the retired platform's
// answers, after the parts given first (the summary, the API's answer...).
func retirementError(first ...string) *regexp.Regexp {
	return inOrder(append(slices.Clone(first), retiredOn, retiredOnDate, retirementGuide)...)
}

// inOrder matches these parts in this order in Terraform's output, which
// wraps long lines: each part matches across line breaks.
func inOrder(parts ...string) *regexp.Regexp {
	exprs := make([]string, len(parts))
	for i, p := range parts {
		exprs[i] = errorLike(p).String()
	}
	return regexp.MustCompile(`(?s)` + strings.Join(exprs, `.*`))
}

// A plan of a new key against an API that refuses everything fails at plan
// time, naming the retirement; before, the plan-time project check ignored
// the refusal and the plan said "1 to add".
func TestAccRetiredAPI_planOfNewKeyFails(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusGone} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			api := newRetiringAPI(t, nil)
			api.retire(status)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config: projectKeyWith(t, fmt.Sprintf("api_url = %q\nauth_token = \"a-token\"", api.apiURL())),
					// The plan, not the apply: a plan that passes here would
					// send people to apply and then hunt for a token problem.
					PlanOnly: true,
					ExpectError: retirementError("Could not check the project", fmt.Sprintf("%d %s", status, http.StatusText(status)),
						`the token from auth_token in the provider "packet" block`, "packet-mock or another endpoint"),
				}},
			})
			for _, r := range api.requests() {
				if !strings.HasPrefix(r, "GET ") {
					t.Errorf("%s reached the API during a plan", r)
				}
			}
		})
	}
}

// providerDialing serves the provider with every API connection opened by
// dial: the default api_url's host can then be refused or unresolvable
// without any network.
func providerDialing(dial func(ctx context.Context, network, addr string) (net.Conn, error)) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"packet": func() (tfprotov6.ProviderServer, error) {
			return rpcctx.Wrap(providerserver.NewProtocol6(&packetProvider{version: "test", dial: dial})()), nil
		},
	}
}

// With api_url left out, the provider calls the retired platform. Where that
// host refuses connections or no longer resolves, a plan of a new key fails
// with the retirement, not with a network error to puzzle over.
func TestAccRetiredAPI_defaultURLUnreachable(t *testing.T) {
	t.Parallel()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()
	var dialed sync.Map // the addresses the provider asked for
	dials := map[string]func(ctx context.Context, network, addr string) (net.Conn, error){
		"connection refused": func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed.Store(addr, true)
			return (&net.Dialer{}).DialContext(ctx, network, closed)
		},
		"DNS failure": func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed.Store(addr, true)
			noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
				return nil, errors.New("no name server in this test")
			}}
			return (&net.Dialer{Resolver: noDNS}).DialContext(ctx, network, addr)
		},
	}
	for name, dial := range dials {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: providerDialing(dial),
				Steps: []resource.TestStep{{
					Config:   projectKeyWith(t, `auth_token = "a-token"`),
					PlanOnly: true,
					ExpectError: inOrder("Could not check the project",
						"Nothing answers at "+metal.DefaultBaseURL+" (the default api_url)", retiredOn, retiredOnDate,
						"set api_url or PACKET_API_URL", retirementGuide),
				}},
			})
		})
	}
	dialed.Range(func(addr, _ any) bool {
		if addr != "api.equinix.com:443" {
			t.Errorf("the provider dialed %v, want only the default URL's host", addr)
		}
		return true
	})
}

// Keys made while the API worked are not "gone" when it starts refusing
// everything: refresh fails with the retirement and keeps them in state
// (the plan after the API answers again is empty, not a create).
func TestAccRetiredAPI_refreshKeepsKeys(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusGone} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			mock := testMock(t, mockapi.Options{})
			api := newRetiringAPI(t, mock)
			config := projectKeyWith(t, fmt.Sprintf("api_url = %q\nauth_token = %q", api.apiURL(), mockapi.DefaultToken))
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{
					{Config: config},
					{
						PreConfig:   func() { api.retire(status) },
						Config:      config,
						PlanOnly:    true,
						ExpectError: retirementError("Could not read the project key", fmt.Sprintf("%d %s", status, http.StatusText(status))),
					},
					{
						PreConfig: api.unretire,
						Config:    config,
						PlanOnly:  true, // fails on a non-empty plan
					},
				},
			})
		})
	}
}
