package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Secret is a value that must never leave the provider's memory, and the
// name an error calls it by.
type Secret struct{ Name, Value string }

// FindSecrets names the secrets that occur in text. A secret without a
// value would prove nothing: it is reported as found, so the scan fails.
func FindSecrets(text string, secrets []Secret) []string {
	var found []string
	for _, s := range secrets {
		if s.Value == "" {
			found = append(found, s.Name+" (empty: the scan would prove nothing)")
		} else if strings.Contains(text, s.Value) {
			found = append(found, s.Name)
		}
	}
	return found
}

// NoSecretInState checks every attribute of every resource and data source in state.
func NoSecretInState(secrets ...Secret) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		scanned := 0
		for addr, rs := range s.RootModule().Resources {
			for name, value := range rs.Primary.Attributes {
				scanned++
				if found := FindSecrets(value, secrets); len(found) > 0 {
					return fmt.Errorf("state %s.%s holds: %s", addr, name, strings.Join(found, ", "))
				}
			}
		}
		if scanned == 0 {
			return errors.New("no attribute in state: nothing was scanned")
		}
		return nil
	}
}

// NoSecretInPlan checks the plan as `terraform show -json` renders it,
// which must mention mustHold (or nothing was scanned).
func NoSecretInPlan(mustHold string, secrets ...Secret) plancheck.PlanCheck {
	return jsonScan{what: "plan", mustHold: mustHold, secrets: secrets}
}

// NoSecretInStateJSON checks the state as `terraform show -json` renders
// it, which must mention mustHold (or nothing was scanned).
func NoSecretInStateJSON(mustHold string, secrets ...Secret) statecheck.StateCheck {
	return jsonScan{what: "state", mustHold: mustHold, secrets: secrets}
}

type jsonScan struct {
	what, mustHold string
	secrets        []Secret
}

func (c jsonScan) scan(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(c.mustHold)) {
		return fmt.Errorf("the %s JSON does not hold %s; nothing was scanned", c.what, c.mustHold)
	}
	if found := FindSecrets(string(data), c.secrets); len(found) > 0 {
		return fmt.Errorf("the %s (terraform show -json) holds: %s", c.what, strings.Join(found, ", "))
	}
	return nil
}

func (c jsonScan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = c.scan(req.Plan)
}

func (c jsonScan) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.scan(req.State)
}
