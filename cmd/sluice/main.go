// Command sluice streams LLM responses from any provider to any client:
// a terminal, a browser, or an application built on an official SDK.
//
// main only wires the process to [App]; App.Run is what the end-to-end tests drive.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := &App{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
	}
	os.Exit(app.Run(ctx, os.Args[1:]))
}
