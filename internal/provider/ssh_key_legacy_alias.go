package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// legacyKeyOwner is packet_ssh_key, the archived packethost/packet
// provider's name for a personal key. It is packet_user_ssh_key under its
// old name, so that provider's configurations and state keep planning with
// no changes; its deprecation says how to move on.
var legacyKeyOwner = sshKeyOwner{
	kind:      metal.OwnerUser,
	typeName:  "ssh_key",
	noun:      "personal key",
	summary:   "**Deprecated**: the archived packethost/packet provider's name for `packet_user_ssh_key`, kept so its configurations and state keep working. Same attributes and behaviour as `packet_user_ssh_key`; rename it with a `moved` block.",
	otherType: "packet_project_ssh_key",
	deprecation: "packet_ssh_key is the archived packethost/packet provider's name for packet_user_ssh_key. " +
		"Rename the resource to packet_user_ssh_key and add, for each one (here for packet_ssh_key.NAME):\n\n" +
		"moved {\n  from = packet_ssh_key.NAME\n  to   = packet_user_ssh_key.NAME\n}\n\n" +
		"The key is neither destroyed nor created again (Terraform 1.8 or later).",
}

// NewLegacySSHKeyResource is packet_ssh_key, the deprecated alias.
func NewLegacySSHKeyResource() resource.Resource { return &sshKeyResource{owner: legacyKeyOwner} }
