package provider

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// durationValidator accepts Go durations such as "30s" or "2m".
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return "value must be a duration such as 30s or 2m"
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%q is not a positive duration: write it like 30s, 90s or 2m.", req.ConfigValue.ValueString()))
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isUUID(s string) bool { return uuidPattern.MatchString(s) }

// uuidValidator accepts the UUIDs the API uses as ids.
func uuidValidator() validator.String {
	return stringvalidator.RegexMatches(uuidPattern, "must be a UUID such as 7f3c1b9e-0a2d-4c5e-9b8f-1d2e3f4a5b6c")
}
