package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// jumpModel is `ssh.jump`: the jump host in front of the target (OpenSSH's
// ProxyJump), on a resource's `ssh` or as the provider's default.
type jumpModel struct {
	Host           types.String `tfsdk:"host"`
	Port           types.Int64  `tfsdk:"port"`
	User           types.String `tfsdk:"user"`
	PrivateKeyFile types.String `tfsdk:"private_key_file"`
	HostKey        types.String `tfsdk:"host_key"`
	KnownHostsFile types.String `tfsdk:"known_hosts_file"`
}

// jumpSettings is jumpModel as plain Go.
type jumpSettings struct {
	Host           string
	Port           int // 0: not set
	User           string
	PrivateKeyFile string
	HostKey        string
	KnownHostsFile string
}

// settings is nil when there is no jump host; unknown reports values not
// known yet (plan time).
func (j *jumpModel) settings() (s *jumpSettings, unknown bool) {
	if j == nil {
		return nil, false
	}
	for _, v := range []interface{ IsUnknown() bool }{j.Host, j.Port, j.User, j.PrivateKeyFile, j.HostKey, j.KnownHostsFile} {
		unknown = unknown || v.IsUnknown()
	}
	return &jumpSettings{
		Host:           j.Host.ValueString(),
		Port:           int(j.Port.ValueInt64()),
		User:           j.User.ValueString(),
		PrivateKeyFile: j.PrivateKeyFile.ValueString(),
		HostKey:        j.HostKey.ValueString(),
		KnownHostsFile: j.KnownHostsFile.ValueString(),
	}, unknown
}

const jumpDescription = "A jump host to reach the target through (OpenSSH's `ProxyJump`): the connection to the " +
	"target is forwarded by a login to it. Its host key must be given (`host_key` or `known_hosts_file`, else the " +
	"provider's `ssh { known_hosts_file }`): a jump host is never trusted on first use. It is offered only its own " +
	"`private_key_file` and the ssh-agent (when `agent` allows it); the target's keys and password never go to it, " +
	"nor its key to the target."

// jumpDescriptions describe the attributes of `jump` wherever it appears.
var jumpDescriptions = map[string]string{
	"host":             "The jump host's address (name or IP).",
	"port":             "The jump host's SSH port. Default 22.",
	"user":             "User to log in to the jump host as. Default `root`.",
	"private_key_file": "Private key file to log in to the jump host with (`~` is expanded); offered to the jump host only.",
	"host_key":         "The jump host's SSH host key (an OpenSSH public key line, or a `known_hosts` line). Checked strictly.",
	"known_hosts_file": "A `known_hosts` file to check the jump host's key against, strictly. Default: the provider's `ssh { known_hosts_file }`.",
}

var jumpPortValidators = []validator.Int64{int64validator.Between(1, 65535)}

// jumpSchema is `ssh.jump` of a resource.
func jumpSchema() rschema.SingleNestedAttribute {
	str := func(name string, required bool) rschema.StringAttribute {
		return rschema.StringAttribute{MarkdownDescription: jumpDescriptions[name], Required: required, Optional: !required}
	}
	return rschema.SingleNestedAttribute{
		MarkdownDescription: jumpDescription,
		Optional:            true,
		Attributes: map[string]rschema.Attribute{
			"host":             str("host", true),
			"port":             rschema.Int64Attribute{MarkdownDescription: jumpDescriptions["port"], Optional: true, Validators: jumpPortValidators},
			"user":             str("user", false),
			"private_key_file": str("private_key_file", false),
			"host_key":         str("host_key", false),
			"known_hosts_file": str("known_hosts_file", false),
		},
	}
}

// jumpProviderSchema is the provider's `ssh { jump }`: the default of every
// resource's `ssh.jump`.
func jumpProviderSchema() pschema.SingleNestedAttribute {
	str := func(name string, required bool) pschema.StringAttribute {
		return pschema.StringAttribute{MarkdownDescription: jumpDescriptions[name], Required: required, Optional: !required}
	}
	return pschema.SingleNestedAttribute{
		MarkdownDescription: "The default jump host of every connection whose resource sets no `ssh.jump`. " + jumpDescription,
		Optional:            true,
		Attributes: map[string]pschema.Attribute{
			"host":             str("host", true),
			"port":             pschema.Int64Attribute{MarkdownDescription: jumpDescriptions["port"], Optional: true, Validators: jumpPortValidators},
			"user":             str("user", false),
			"private_key_file": str("private_key_file", false),
			"host_key":         str("host_key", false),
			"known_hosts_file": str("known_hosts_file", false),
		},
	}
}
