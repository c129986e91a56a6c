package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// uploadablePublicKey rejects at plan time what the platform would refuse
// or what must never be sent: not a key, private key material, DSA, weak RSA,
// and authorized_keys options, which the API would silently drop.
func uploadablePublicKey() validator.String {
	return stringCheck{
		description: "must be an SSH public key (OpenSSH line or RFC 4716) without authorized_keys options, not DSA, RSA of at least 2048 bits",
		summary:     "Invalid SSH public key",
		check:       checkUploadable,
	}
}

func checkUploadable(s string) error {
	data := []byte(s)
	if sshkey.LooksPrivate(data) {
		return checkFailure{"Private key given where a public key belongs",
			"This value holds private key material; it is not sent anywhere and is not shown here. Give the public " +
				"half instead: the .pub file, or data.packet_ssh_public_key reading the private key file, whose " +
				"public_key attribute is the public half."}
	}
	key, err := sshkey.Parse(data, sshkey.Options{})
	if err != nil {
		return err
	}
	if err := sshkey.ValidateForUpload(key); err != nil {
		return checkFailure{"SSH public key not accepted", err.Error()}
	}
	if opts := key.Options(); len(opts) > 0 {
		return checkFailure{"authorized_keys options are not stored by the API",
			"This line starts with authorized_keys options (" + strings.Join(opts, ",") + "). The API stores a bare " +
				"key, so they would be dropped and the key would be put on servers without them: an unrestricted " +
				"login where a restricted one was written. Give the key without options here, and set them with the " +
				"options attribute of packet_device_key_attachment, which writes them into authorized_keys before the key."}
	}
	return nil
}

// parsePublicKey parses a value already checked by uploadablePublicKey.
func parsePublicKey(v publicKeyValue) (*sshkey.Key, error) {
	return sshkey.Parse([]byte(v.ValueString()), sshkey.Options{})
}

// keepPriorIfSameKey plans the prior state's value when the configuration
// holds the same key in another form (comment, whitespace, RFC 4716), so
// such edits give an empty plan instead of a replacement. Terraform accepts
// a planned value equal to the prior state in place of the config value.
type keepPriorIfSameKey struct{}

func (keepPriorIfSameKey) Description(context.Context) string {
	return "a different form of the same key (comment, whitespace, RFC 4716) is not a change"
}

func (m keepPriorIfSameKey) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (keepPriorIfSameKey) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if sshkey.Equivalent(req.StateValue.ValueString(), req.ConfigValue.ValueString()) {
		resp.PlanValue = req.StateValue
	}
}
