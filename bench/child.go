package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a process the benchmark started: the hub or the reference.
// Its memory and CPU are read from /proc, apart from the load generator's.
type child struct {
	name string
	cmd  *exec.Cmd
	addr string // host:port it listens on
	log  *os.File
	done chan error
}

// run runs the binary to completion (migrate, reindex), its output in log.
func run(ctx context.Context, exe string, env []string, log *os.File, args ...string) error {
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	log.Write(out.Bytes())
	if err != nil {
		return fmt.Errorf("collectif %s: %w: %s", strings.Join(args, " "), err, lastLine(out.String()))
	}
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// start starts the binary with args and env, listening on addr, and waits
// until GET readyPath answers 200; it returns how long that took from exec.
func start(ctx context.Context, name, exe string, env []string, log *os.File, addr, readyPath string, args ...string) (*child, time.Duration, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	c := &child{name: name, cmd: cmd, addr: addr, log: log, done: make(chan error, 1)}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	go func() { c.done <- cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + readyPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, time.Since(t0), nil
			}
		}
		select {
		case err := <-c.done:
			return nil, 0, fmt.Errorf("%s exited before it was ready (%v); see %s", name, err, log.Name())
		case <-ctx.Done():
			c.stop()
			return nil, 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, 0, fmt.Errorf("%s not ready after 60s; see %s", name, log.Name())
		}
	}
}

// stop asks the process to finish (SIGTERM), then kills it after 20s.
func (c *child) stop() error {
	if c == nil || c.cmd.Process == nil {
		return nil
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == -1 {
			return nil // ended by the signal
		}
		return err
	case <-time.After(20 * time.Second):
		c.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 20s: killed", c.name)
	}
}

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTick = 100

// cpu returns the user and system CPU time the process used so far.
func (c *child) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing parenthesis (field 3 is the state).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// memory returns a field of /proc/<pid>/status in bytes (VmRSS, VmHWM).
func (c *child) memory(field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// resetPeak starts a new RSS high-water mark (VmHWM), so that each
// scenario's peak is its own; it reports false where the kernel does not
// allow it, and peaks then accumulate from the start.
func (c *child) resetPeak() bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", c.cmd.Process.Pid), []byte("5"), 0) == nil
}

// freePort returns a loopback address nobody listens on now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}
