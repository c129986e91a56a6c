package sshserver

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/machine/sshdtest"
)

// TestOptionsMatchRealSSHD runs optionCases against a real OpenSSH sshd
// and checks it does what the mock's device does (and the cases say).
// Without sshd it skips, except under CI=true, where it fails.
func TestOptionsMatchRealSSHD(t *testing.T) {
	signer := newSigner(t)
	for _, c := range optionCases {
		t.Run(c.name, func(t *testing.T) {
			real := sshdtest.Start(t, linesFor(c.lines, signer))
			hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(real.HostKey))
			if err != nil {
				t.Fatal(err)
			}
			dial := func() (*ssh.Client, error) {
				return ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", real.Port), &ssh.ClientConfig{
					User: real.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
					HostKeyCallback: ssh.FixedHostKey(hostKey), Timeout: 5 * time.Second,
				})
			}
			if got := probe(t, dial, real.User); got != c.want {
				t.Errorf("real sshd with %s:\n got %v\nwant %v", c.lines, got, c.want)
			}
		})
	}
}
