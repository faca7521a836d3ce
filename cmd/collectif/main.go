// Command collectif runs a collectif hub and its administration tools.
//
// It parses the command line and the environment once, builds the hub with
// package hub, runs the sub-command and exits: 0 on success, 1 when the
// configuration or a dependency is wrong (one line naming the variable and
// the cause), 2 on a usage error.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Europe/Paris must be known on machines without tzdata
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// env is what a run sees of the outside world; tests give their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}
