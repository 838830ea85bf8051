package dovecottest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"time"

	"github.com/mailkeep/mailkeep/internal/testenv"
)

// systemUser owns the Maildir when the tests run as root: Dovecot never
// accesses mail as root.
const systemUser = "mailkeeptest"

// owner is the account the mail processes run as.
type owner struct {
	name     string
	group    string // name of the primary group
	uid, gid int
	rootless bool // we are not root: everything runs as the current user
}

// mailOwner returns the current user when not root, and otherwise the
// unprivileged system user mailkeeptest, which it creates if missing.
func mailOwner() (owner, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return owner{}, err
		}
		return toOwner(u, true)
	}
	u, err := ensureSystemUser(systemUser)
	if err != nil {
		return owner{}, err
	}
	return toOwner(u, false)
}

func toOwner(u *user.User, rootless bool) (owner, error) {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return owner{}, fmt.Errorf("uid of %s: %w", u.Username, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return owner{}, fmt.Errorf("gid of %s: %w", u.Username, err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return owner{}, err
	}
	return owner{name: u.Username, group: g.Name, uid: uid, gid: gid, rootless: rootless}, nil
}

// ensureSystemUser looks the user up and runs useradd if it is missing.
// Test binaries of several packages may race to create it; useradd then
// fails because the user exists or /etc/passwd is locked, so it retries.
func ensureSystemUser(name string) (*user.User, error) {
	useradd, ok := testenv.LookPath("useradd")
	var last error
	for range 50 {
		u, err := user.Lookup(name)
		if err == nil {
			return u, nil
		}
		if !ok {
			return nil, fmt.Errorf("user %s does not exist and useradd is not installed", name)
		}
		out, err := exec.Command(useradd, "--system", "--user-group", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
		if err == nil {
			continue
		}
		last = fmt.Errorf("useradd %s: %v: %s", name, err, out)
		time.Sleep(100 * time.Millisecond)
	}
	return nil, errors.Join(fmt.Errorf("create system user %s", name), last)
}

// userExists reports whether a system account exists.
func userExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}
