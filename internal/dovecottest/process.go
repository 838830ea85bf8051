package dovecottest

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is a running Dovecot master and, in its process group, every
// process it forked.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
}

// startProcess runs dovecot in the foreground with the configuration conf,
// its standard output and error appended to the file stderr.
func startProcess(bin, conf, stderr string) (*process, error) {
	f, err := os.OpenFile(stderr, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, "-F", "-c", conf)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// kill kills the process group and returns once no process of it is
// left. A test server has nothing to save, and Dovecot's graceful stop
// (SIGTERM) takes up to a second.
func (p *process) kill() error {
	pgid := p.cmd.Process.Pid
	for i := 0; ; i++ {
		signalGroup(pgid, syscall.SIGKILL)
		<-p.exited
		if groupGone(pgid) {
			return nil
		}
		if i == 500 {
			return fmt.Errorf("dovecot processes of group %d still running after SIGKILL", pgid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
