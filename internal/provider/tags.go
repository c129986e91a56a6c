package provider

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// stringsFromSet returns the set's elements sorted, or nil for a null set.
func stringsFromSet(ctx context.Context, set types.Set) ([]string, diag.Diagnostics) {
	if set.IsNull() || set.IsUnknown() {
		return nil, nil
	}
	var out []string
	diags := set.ElementsAs(ctx, &out, false)
	sort.Strings(out)
	return out, diags
}

// setFromStrings turns the API's list into a set, keeping a null prior value
// null when the API has nothing, so an unset attribute never shows a diff.
func setFromStrings(ctx context.Context, prior types.Set, values []string) (types.Set, diag.Diagnostics) {
	if len(values) == 0 && prior.IsNull() {
		return types.SetNull(types.StringType), nil
	}
	if values == nil {
		values = []string{}
	}
	return types.SetValueFrom(ctx, types.StringType, values)
}
