package main

import "github.com/packethost/terraform-provider-packet/internal/mockapi"

// provisioner starts the simulated machine (SSH/SFTP server) of each device.
var provisioner mockapi.Provisioner = mockapi.SSHProvisioner
