package provider

import (
	"os"

	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// sshModel is the provider-level `ssh` block: default credentials for
// connections to devices. The private key lives only in provider config,
// never in any resource's state.
type sshModel struct {
	User           types.String `tfsdk:"user"`
	PrivateKey     types.String `tfsdk:"private_key"`
	PrivateKeyFile types.String `tfsdk:"private_key_file"`
	Agent          types.Bool   `tfsdk:"agent"`
	KnownHostsFile types.String `tfsdk:"known_hosts_file"`
	Jump           *jumpModel   `tfsdk:"jump"`
}

// sshDefaults is the plain-Go copy of sshModel resources read, with the
// environment they fall back on.
type sshDefaults struct {
	User           string
	PrivateKey     string
	PrivateKeyFile string
	Agent          *bool
	KnownHostsFile string
	AuthSock       string // SSH_AUTH_SOCK when the provider was configured
	Jump           *jumpSettings
}

// defaults reads the provider's block, and the environment once for every
// connection of this run.
func (m *sshModel) defaults() sshDefaults {
	d := sshDefaults{AuthSock: os.Getenv("SSH_AUTH_SOCK")}
	if m == nil {
		return d
	}
	d.User = m.User.ValueString()
	d.PrivateKey = m.PrivateKey.ValueString()
	d.PrivateKeyFile = m.PrivateKeyFile.ValueString()
	d.KnownHostsFile = m.KnownHostsFile.ValueString()
	d.Jump, _ = m.Jump.settings()
	if !m.Agent.IsNull() && !m.Agent.IsUnknown() {
		v := m.Agent.ValueBool()
		d.Agent = &v
	}
	return d
}

func sshProviderBlock() schema.SingleNestedBlock {
	return schema.SingleNestedBlock{
		MarkdownDescription: "Default credentials for SSH connections to devices (used by " +
			"`packet_device_key_attachment`). Secrets given here stay in the provider configuration and never reach state.",
		Attributes: map[string]schema.Attribute{
			"user": schema.StringAttribute{
				MarkdownDescription: "User to log in as. Default `root`.",
				Optional:            true,
			},
			"private_key": schema.StringAttribute{
				MarkdownDescription: "Content of a private key (OpenSSH or PEM) used to log in. Prefer " +
					"`file(...)` of a path or an ephemeral value over a literal.",
				Optional:  true,
				Sensitive: true,
			},
			"private_key_file": schema.StringAttribute{
				MarkdownDescription: "Path of a private key file used to log in (`~` is expanded).",
				Optional:            true,
			},
			"agent": schema.BoolAttribute{
				MarkdownDescription: "Use the ssh-agent at `SSH_AUTH_SOCK`. Default: used when `SSH_AUTH_SOCK` is set.",
				Optional:            true,
			},
			"known_hosts_file": schema.StringAttribute{
				MarkdownDescription: "A `known_hosts` file to check device host keys against.",
				Optional:            true,
			},
			"jump": jumpProviderSchema(),
		},
	}
}
