package provider

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// The mock's route keys (see mockapi.Server.Requests).
const (
	routeCreateProjectKey = "POST /projects/{id}/ssh-keys"
	routeListProjectKeys  = "GET /projects/{id}/ssh-keys"
	routeUpdateKey        = "PATCH /ssh-keys/{id}"
	routeDeleteKey        = "DELETE /ssh-keys/{id}"
	routeGetProject       = "GET /projects/{id}"
)

// projectChecks records how many project lookups a step that creates
// project keys makes: planning a new project key checks its project once
// per terraform command (plan, and apply's own plan), however many keys of
// that project are planned.
type projectChecks struct{ perStep int }

func (p *projectChecks) measure(t *testing.T, mock *mockapi.Server, want map[string]int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		p.perStep = mock.Requests()[routeGetProject]
		t.Logf("a step creating project keys checks the project %d time(s)", p.perStep)
		if p.perStep < 1 || p.perStep > 2 {
			return fmt.Errorf("%d project lookups in a step with one plan and one apply; want one per command", p.perStep)
		}
		want[routeGetProject] = p.perStep
		return requestsAre(mock, want)
	}
}

// economyConfig is count project keys, one per public key line.
func economyConfig(mock *mockapi.Server, name string, lines []string) string {
	quoted := make([]string, len(lines))
	for i, l := range lines {
		quoted[i] = fmt.Sprintf("%q", l)
	}
	return providerBlock(mock) + fmt.Sprintf(`
locals {
  public_keys = [%s]
}

resource "packet_project_ssh_key" "test" {
  count      = length(local.public_keys)
  project_id = %q
  name       = "%s-${count.index}"
  public_key = local.public_keys[count.index]
}
`, strings.Join(quoted, ", "), mockapi.DefaultProjectID, name)
}

// emptyConfig keeps the provider but no resources: applying it deletes them.
func emptyConfig(mock *mockapi.Server) string { return providerBlock(mock) }

// requestsAre checks the mock's counters since the last reset, route by
// route: any route not in want must not have been called at all.
func requestsAre(mock *mockapi.Server, want map[string]int) error {
	got := mock.Requests()
	for route, n := range got {
		if n == 0 {
			delete(got, route)
		}
	}
	if !maps.Equal(got, want) {
		return fmt.Errorf("API requests %v; want exactly %v", got, want)
	}
	return nil
}

func checkRequests(mock *mockapi.Server, want func() map[string]int) resource.TestCheckFunc {
	return func(*terraform.State) error { return requestsAre(mock, want()) }
}

// refreshLists records how many list requests a no-change step makes.
//
// A config step of terraform-plugin-testing (v1.16) runs `terraform plan`
// (which refreshes) and applies that saved plan before its Check; the plans
// that look for perpetual diffs come after the Check. Each terraform command
// configures the provider anew, so each refresh lists the project's keys
// once (one page up to 1,000 keys) and answers every key's Read from that
// listing. It is measured rather than assumed, on a no-change step with one
// key, and every other figure is compared with it: a harness that refreshed
// more often would still be compared fairly, while a provider that made a
// request per key would not pass.
type refreshLists struct{ perStep int }

func (r *refreshLists) measure(t *testing.T, mock *mockapi.Server) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := mock.Requests()
		r.perStep = got[routeListProjectKeys]
		t.Logf("a no-change step lists the project's keys %d time(s) before its Check", r.perStep)
		if r.perStep < 1 {
			return fmt.Errorf("a no-change step made no list request (requests %v): the key was not refreshed", got)
		}
		return requestsAre(mock, map[string]int{routeListProjectKeys: r.perStep})
	}
}

// Create is one POST whose answer fills the state: no GET after it. Update
// is one PATCH and delete one DELETE, on top of the listings of the
// refreshes the step makes anyway (measured on a no-change step).
func TestAccRequestEconomy_createUpdateDelete(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "economy")
	lines := []string{key.Line}
	var refresh refreshLists
	var projects projectChecks
	reset := func() { mock.ResetRequests() }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{
			{
				// Nothing in state yet, so nothing to refresh: the POST (and
				// the plan-time project check) is all.
				PreConfig: reset,
				Config:    economyConfig(mock, "economy", lines),
				Check:     projects.measure(t, mock, map[string]int{routeCreateProjectKey: 1}),
			},
			{
				PreConfig: reset,
				Config:    economyConfig(mock, "economy", lines),
				Check:     refresh.measure(t, mock),
			},
			{
				PreConfig: reset,
				Config:    economyConfig(mock, "renamed", lines),
				Check: checkRequests(mock, func() map[string]int {
					return map[string]int{routeListProjectKeys: refresh.perStep, routeUpdateKey: 1}
				}),
			},
			{
				PreConfig: reset,
				Config:    emptyConfig(mock),
				Check: checkRequests(mock, func() map[string]int {
					return map[string]int{routeListProjectKeys: refresh.perStep, routeDeleteKey: 1}
				}),
			},
		},
	})
}

// A no-change refresh of N keys of one project is one listing of that
// project's keys: no GET per key, no project or user lookups. A
// RefreshState step runs one `terraform refresh` before its Check, so there
// the count must be one list request; a no-change config step must cost
// what it costs for one key, whatever N.
func TestAccRequestEconomy_refreshIsOneListPerProject(t *testing.T) {
	t.Parallel()
	const n = 20
	mock := testMock(t, mockapi.Options{})
	lines := make([]string, n)
	for i := range lines {
		lines[i] = newTestKey(t, fmt.Sprintf("economy-%d", i)).Line
	}
	var refresh refreshLists
	var projects projectChecks
	reset := func() { mock.ResetRequests() }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{
			{
				PreConfig: reset,
				Config:    economyConfig(mock, "economy", lines[:1]),
				Check:     projects.measure(t, mock, map[string]int{routeCreateProjectKey: 1}),
			},
			{
				PreConfig: reset,
				Config:    economyConfig(mock, "economy", lines[:1]),
				Check:     refresh.measure(t, mock),
			},
			{
				// The other n-1 keys: n-1 POSTs and no GET after any of them;
				// their one project is checked as often as for one key.
				PreConfig: reset,
				Config:    economyConfig(mock, "economy", lines),
				Check: checkRequests(mock, func() map[string]int {
					return map[string]int{routeListProjectKeys: refresh.perStep, routeCreateProjectKey: n - 1, routeGetProject: projects.perStep}
				}),
			},
			{
				PreConfig: reset,
				Config:    economyConfig(mock, "economy", lines),
				Check: checkRequests(mock, func() map[string]int {
					return map[string]int{routeListProjectKeys: refresh.perStep}
				}),
			},
			{
				PreConfig:    reset,
				RefreshState: true,
				Check: checkRequests(mock, func() map[string]int {
					return map[string]int{routeListProjectKeys: 1}
				}),
			},
		},
	})
}
