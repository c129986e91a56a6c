package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// A refresh of 100 attachments to one device logs in to it once and reads
// its authorized_keys once (issue 17): the terraform refresh and the plan
// after it are two provider processes, so two connections and two reads.
func TestAccDeviceKeyAttachment_hundredRefreshOverOneConnection(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	var lines []string
	for i := range 100 {
		lines = append(lines, newTestKey(t, fmt.Sprintf("k%03d", i)).Line)
	}
	config := f.providerWithKey() + manyAttachmentsHCL("many", "many", lines, f.device.ID, "")
	stats := f.sshStats(t)
	var before sshserver.Stats
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
					logSSHCost(t, "apply of 100 attachments (plan, apply, plan)", stats, &before),
				}},
			},
			{
				PreConfig:    func() { before = stats() },
				RefreshState: true,
				RefreshPlanChecks: resource.RefreshPlanChecks{PostRefresh: []plancheck.PlanCheck{
					expectSSHCost{stats: stats, since: &before, connections: 2, reads: 2,
						what: "terraform refresh + terraform plan of 100 attachments to one device"},
				}},
			},
		},
	})
}

// sshStats reads the fixture device's connection counters.
func (f *deviceFixture) sshStats(t *testing.T) func() sshserver.Stats {
	t.Helper()
	counted, ok := f.machine(t).(interface{ Stats() sshserver.Stats })
	if !ok {
		t.Fatalf("the mock device %T does not count its connections", f.machine(t))
	}
	return counted.Stats
}

// expectSSHCost fails unless the device saw exactly that many connections
// and reads of files since *since.
type expectSSHCost struct {
	stats              func() sshserver.Stats
	since              *sshserver.Stats
	connections, reads int
	what               string
}

func (c expectSSHCost) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	now := c.stats()
	conns, reads := now.Connections-c.since.Connections, now.FileReads-c.since.FileReads
	if conns != c.connections || reads != c.reads {
		resp.Error = fmt.Errorf("%s cost %d SSH connections and %d file reads on the device, want %d and %d",
			c.what, conns, reads, c.connections, c.reads)
	}
}

// logSSHCost reports the connections since *since (and moves it on), for the record.
func logSSHCost(t *testing.T, what string, stats func() sshserver.Stats, since *sshserver.Stats) plancheck.PlanCheck {
	return logCost{t: t, what: what, stats: stats, since: since}
}

type logCost struct {
	t     *testing.T
	what  string
	stats func() sshserver.Stats
	since *sshserver.Stats
}

func (l logCost) CheckPlan(context.Context, plancheck.CheckPlanRequest, *plancheck.CheckPlanResponse) {
	now := l.stats()
	l.t.Logf("%s: %d SSH connections, %d file reads", l.what, now.Connections-l.since.Connections, now.FileReads-l.since.FileReads)
	*l.since = now
}
