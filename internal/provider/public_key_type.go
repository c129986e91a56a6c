package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// publicKeyType is a string holding an SSH public key in any accepted
// format. Two values are semantically equal when they are the same key
// (type and blob): comments, whitespace, CRLF and the RFC 4716 form never
// make a diff, and the API echoing the key in another form is no
// "inconsistent result after apply".
type publicKeyType struct {
	basetypes.StringType
}

var (
	_ basetypes.StringTypable                    = publicKeyType{}
	_ basetypes.StringValuableWithSemanticEquals = publicKeyValue{}
)

func (t publicKeyType) String() string { return "provider.publicKeyType" }

func (t publicKeyType) ValueType(context.Context) attr.Value { return publicKeyValue{} }

func (t publicKeyType) Equal(o attr.Type) bool {
	other, ok := o.(publicKeyType)
	return ok && t.StringType.Equal(other.StringType)
}

func (t publicKeyType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return publicKeyValue{StringValue: in}, nil
}

func (t publicKeyType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return publicKeyValue{StringValue: s}, nil
}

// publicKeyValue is a value of publicKeyType.
type publicKeyValue struct {
	basetypes.StringValue
}

func newPublicKeyValue(s string) publicKeyValue {
	return publicKeyValue{StringValue: basetypes.NewStringValue(s)}
}

func (v publicKeyValue) Type(context.Context) attr.Type { return publicKeyType{} }

func (v publicKeyValue) Equal(o attr.Value) bool {
	other, ok := o.(publicKeyValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

func (v publicKeyValue) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	other, ok := newValuable.(publicKeyValue)
	if !ok {
		return false, nil
	}
	return sshkey.Equivalent(v.ValueString(), other.ValueString()), nil
}
