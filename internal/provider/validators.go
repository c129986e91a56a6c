package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// stringCheck is a string validator made of one plain check function, so
// each rule is written once and the framework's interface once.
type stringCheck struct {
	description string
	summary     string             // the diagnostic's summary unless the check returns a checkFailure
	check       func(string) error // nil when the value is fine
}

// checkFailure lets a check choose the diagnostic's summary.
type checkFailure struct{ summary, detail string }

func (f checkFailure) Error() string { return f.detail }

func (c stringCheck) Description(context.Context) string { return c.description }

func (c stringCheck) MarkdownDescription(context.Context) string { return c.description }

func (c stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	err := c.check(req.ConfigValue.ValueString())
	if err == nil {
		return
	}
	summary := c.summary
	var failure checkFailure
	if errors.As(err, &failure) {
		summary = failure.summary
	}
	resp.Diagnostics.AddAttributeError(req.Path, summary, err.Error())
}

// durationValidator accepts positive Go durations such as "30s" or "2m".
func durationValidator() validator.String {
	return stringCheck{
		description: "value must be a duration such as 30s or 2m",
		summary:     "Invalid duration",
		check: func(s string) error {
			if d, err := time.ParseDuration(s); err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration: write it like 30s, 90s or 2m", s)
			}
			return nil
		},
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isUUID(s string) bool { return uuidPattern.MatchString(s) }

// uuidValidator accepts the UUIDs the API uses as ids.
func uuidValidator() validator.String {
	return stringvalidator.RegexMatches(uuidPattern, "must be a UUID such as 7f3c1b9e-0a2d-4c5e-9b8f-1d2e3f4a5b6c")
}
